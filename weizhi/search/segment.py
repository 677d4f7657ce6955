"""Cuts text into search tokens: overlapping bigrams for Chinese, whole words for the rest.

Full-text engines treat a run of Chinese characters as one token, so 抗洪 cannot find
抗洪抢险. Indexing every pair of neighbouring characters (抗洪 洪抢 抢险) and asking for all
the pairs of the query finds any word inside a longer run without a dictionary.

Each run's last character is indexed once more on its own (抢险 … 险), so every character
starts some token; a one-character query then becomes a prefix search (险*) that finds the
character wherever it stands, the equivalent of a substring search.
"""

import unicodedata
from collections.abc import Iterator
from itertools import groupby
from typing import NamedTuple

# Scripts written without spaces between words: Han (with its extensions and compatibility
# ideographs), the Japanese kana and Hangul syllables.
_CJK_RANGES = (
    (0x3040, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
    (0x20000, 0x323AF),
)

_CJK, _WORD, _GAP = "cjk", "word", "gap"


class Term(NamedTuple):
    """One token of a query; a prefix term matches every token that starts with it."""

    text: str
    prefix: bool = False


def normalize(text: str) -> str:
    # NFKC folds full-width letters, digits and spaces (ＧＤＰ２０２６, U+3000) into ASCII.
    return unicodedata.normalize("NFKC", text).lower()


def is_cjk(char: str) -> bool:
    code = ord(char)
    return char.isalnum() and any(low <= code <= high for low, high in _CJK_RANGES)


def _kind(char: str) -> str:
    if is_cjk(char):
        return _CJK
    return _WORD if char.isalnum() else _GAP


def _runs(text: str) -> Iterator[tuple[str, str]]:
    """Yields (kind, run) for each stretch of Chinese or of other letters and digits."""
    for kind, chars in groupby(normalize(text), key=_kind):
        if kind != _GAP:
            yield kind, "".join(chars)


def bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def index_tokens(text: str) -> list[str]:
    tokens: list[str] = []
    for kind, run in _runs(text):
        if kind == _CJK:
            tokens.extend(bigrams(run))
            tokens.append(run[-1])
        else:
            tokens.append(run)
    return tokens


def segment_text(text: str) -> str:
    """The text as the index should see it: tokens separated by single spaces."""
    return " ".join(index_tokens(text))


def _query_terms(chunk: str) -> list[Term]:
    terms: list[Term] = []
    for kind, run in _runs(chunk):
        if kind == _CJK and len(run) == 1:
            terms.append(Term(run, prefix=True))
        elif kind == _CJK:
            terms.extend(Term(pair) for pair in bigrams(run))
        else:
            terms.append(Term(run))
    return list(dict.fromkeys(terms))


def query_groups(query: str) -> list[list[Term]]:
    """The terms of a query, one group per space-separated word of it.

    All terms of a group are required; how groups combine is the caller's operator. Groups
    left empty once punctuation is dropped are left out, so a query of only punctuation gives
    no groups at all.
    """
    groups = (_query_terms(chunk) for chunk in normalize(query).split())
    return [group for group in groups if group]
