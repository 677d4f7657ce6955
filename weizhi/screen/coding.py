"""What the automaton reads: text in normal form, each character replaced by a code that the
lexicon's own characters define. No Django.

The characters of the keys (terms and allowed phrases, in normal form) are numbered, the most
frequent first, and every other character becomes 0, which no key contains: a match cannot
span a character that no key has, so this finds exactly what the normal form would. The
numbers start at U+0080 and are written in UTF-8: the 1,920 most frequent characters take
two bytes, the rest three, where a Chinese character always takes three. The automaton
takes a step a byte, and the frequent characters' states lie together in memory; UTF-8 also
never lets a match start or end inside a character. (Codes of one byte, below U+0080, matched
no faster, and building the automaton with them took much more memory.)

Normalising and coding are a single pass in C: ``codecs.charmap_encode`` (what the standard
library's single-byte codecs run on) with a table from each character straight to the bytes
of its normal form's codes. The rare characters beyond normalise's table (CJK extension B and
later, tag characters) make it fail, and take the slower way through ``normalise``.
"""

from __future__ import annotations

import codecs
from collections import Counter
from collections.abc import Iterable

from .normalise import normal_table, normalise

_SEPARATOR = b"\x00"
_DROPPED = b""


def _code(rank: int) -> bytes:
    """The rank-th code: U+0080, U+0081, … skipping the surrogates, which UTF-8 cannot
    write."""
    point = 0x80 + rank
    return chr(point if point < 0xD800 else point + 0x800).encode()


class Alphabet:
    def __init__(self, keys: Iterable[str]) -> None:
        counts = Counter("".join(keys))
        ranked = sorted(counts, key=lambda char: (-counts[char], char))
        self._codes = {ord(char): _code(rank) for rank, char in enumerate(ranked)}
        code = self._codes.get
        self._table = [
            code(normal, _SEPARATOR)
            if type(normal) is int
            else (_DROPPED if normal is None else self._coded(normal))
            for normal in normal_table()
        ]

    def _coded(self, normal: str) -> bytes:
        code = self._codes.get
        return b"".join(code(ord(char), _SEPARATOR) for char in normal)

    def key(self, normal: str) -> bytes:
        """A key already in normal form (so every character has a code), as the automaton
        holds it."""
        return codecs.charmap_encode(normal, "strict", self._codes)[0]

    def text(self, text: str) -> bytes:
        """Text to screen, normalised and coded, as the automaton reads it."""
        try:
            return codecs.charmap_encode(text, "strict", self._table)[0]
        except UnicodeEncodeError:  # a character beyond normalise's table
            return self._coded(normalise(text))
