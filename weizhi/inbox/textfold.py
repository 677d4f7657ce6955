"""The one text folding the classifier's rules and its model share (NFKC, then lower case):
full-width letters and digits become half-width, so 'ＡＢＣ１２３' matches 'abc123'."""

from __future__ import annotations

import unicodedata


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()
