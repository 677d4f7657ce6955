"""Normalising text before it is screened: pure functions, no Django.

``normalise_reference`` is the definition. Every character that is not a letter or a digit
is dropped, so spaces, punctuation, zero-width characters and emoji put between the
characters of a term no longer separate them; then compatibility forms are unfolded (NFKC,
character by character: full-width → half-width, circled digits…), traditional characters
become simplified (the one-to-one character table of OpenCC, as shipped by
opencc-python-reimplemented; phrases are not converted) and case is folded.

Each of those steps turns one character into a string whatever its neighbours, so the
definition is also a table from each character to its normal form. ``normalise`` applies
that table with one ``str.translate``, a single pass in C, instead of four passes and a
Python call for each character to fold. The table is built from the definition itself, so
the two cannot drift; it covers the BMP and plane 1, where emoji live. The rare characters
beyond it (CJK extension B and later, tag characters) keep their own slower path. The
matcher goes one step further (coding.py): one pass from text to its automaton's codes.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
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
    # The BMP and plane 1 (mathematical letters such as 𝐟𝐚 fold to ASCII), and the CJK
    # compatibility ideographs of plane 2, which fold to ordinary ones.
    for code in (*range(0x80, 0x20000), *range(0x2F800, 0x2FA20)):
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


def normalise_reference(text: str) -> str:
    """The definition of the normal form; ``normalise`` gives the same, faster."""
    text = _NOISE.sub("", text)
    if text.isascii():
        return text.lower()
    return fold(text).casefold()


TABLE_END = 0x20000
_BEYOND_TABLE = re.compile(f"[{chr(TABLE_END)}-\\U0010FFFF]+")


@cache
def normal_table() -> list[int | str | None]:
    """For each character below TABLE_END, for str.translate: None (dropped), the code point
    of its normal form, or its normal form when that is longer than one character."""
    table: list[int | str | None] = []
    for code in range(TABLE_END):
        char = chr(code)
        # What is not a letter or a digit is noise (the definition's first step): no need to ask.
        normal = normalise_reference(char) if char.isalnum() else ""
        table.append(ord(normal) if len(normal) == 1 else normal or None)
        # normalise() reads characters beyond the table again, once translated; those a
        # character in the table becomes (simplified forms in CJK extension B) must stay.
        for part in normal:
            if ord(part) >= TABLE_END and normalise_reference(part) != part:
                raise AssertionError(f"U+{code:04X} normalises to U+{ord(part):04X}, not final")
    return table


@lru_cache(maxsize=1024)
def _beyond_short(run: str) -> str:
    return normalise_reference(run)


def _beyond(run: str) -> str:
    # Short runs (a rare character or two) are cached; a long run is not kept in memory.
    return _beyond_short(run) if len(run) <= 16 else normalise_reference(run)


def normalise(text: str) -> str:
    """The same as normalise_reference(text), in one pass of str.translate."""
    normal = text.translate(normal_table())
    if normal.isascii() or not _BEYOND_TABLE.search(normal):
        return normal
    return _BEYOND_TABLE.sub(lambda m: _beyond(m.group()), normal)
