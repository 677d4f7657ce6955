"""The one text folding the classifier's rules and its model share: NFKC, lower case, and
traditional characters to simplified (the sensitive-word screen's table), so 'ＡＢＣ１２３'
matches 'abc123' and '工資拖欠' meets the rule written as '工资拖欠'."""

from __future__ import annotations

import unicodedata

from weizhi.screen.normalise import fold


def normalise(text: str) -> str:
    return fold(unicodedata.normalize("NFKC", text or "").lower())
