"""Normalising text before it is screened: one pure function, no Django.

Every character that is not a letter or a digit is dropped, so spaces, punctuation,
zero-width characters and emoji put between the characters of a term no longer separate
them; then compatibility forms are unfolded (NFKC, character by character: full-width →
half-width, circled digits…), traditional characters become simplified (the one-to-one
character table of OpenCC, as shipped by opencc-python-reimplemented; phrases are not
converted) and case is folded.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

# \w keeps letters and digits of any script; "_" goes too. Emoji, zero-width characters,
# punctuation and spaces are not \w.
_NOISE = re.compile(r"[\W_]+")


@cache
def _table() -> tuple[re.Pattern[str], re.Pattern[str], dict[str, str]]:
    """Which characters change, and into what. Applied with a regex of one character class:
    a class of BMP characters is a bitmap in `re` (hundreds of MB/s, against tens for
    unicodedata.normalize over the whole text), and only the rare matches call back into
    Python; the few characters beyond the BMP get a class of their own, tried only when the
    text holds any."""
    import opencc

    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    simplified: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        target = targets.split(" ")[0] if targets else ""
        if len(source) == 1 and len(target) == 1 and source != target:
            simplified[source] = target
    table: dict[str, str] = {}
    for code in range(0x80, 0x10000):
        char = chr(code)
        if 0xD800 <= code < 0xE000 or not char.isalnum():
            continue
        folded = unicodedata.normalize("NFKC", char)
        if folded != char:
            folded = _NOISE.sub("", "".join(simplified.get(c, c) for c in folded))
            table[char] = folded
    for source, target in simplified.items():
        table.setdefault(source, target)
    bmp = "".join(re.escape(c) for c in sorted(table) if ord(c) <= 0xFFFF)
    astral = "".join(re.escape(c) for c in sorted(table) if ord(c) > 0xFFFF)
    return re.compile(f"[{bmp}]"), re.compile(f"[{astral}]"), table


_ASTRAL = re.compile("[\\U00010000-\\U0010FFFF]")


def fold(text: str) -> str:
    """Compatibility forms and traditional characters of text already free of noise."""
    bmp, astral, table = _table()
    if bmp.search(text):
        text = bmp.sub(lambda m: table[m.group()], text)
    if _ASTRAL.search(text):
        text = astral.sub(lambda m: table[m.group()], text)
    return text


def normalise(text: str) -> str:
    text = _NOISE.sub("", text)
    if text.isascii():
        return text.lower()
    return fold(text).casefold()
