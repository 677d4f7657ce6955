"""The sensitive-word matcher: one Aho-Corasick automaton (ahocorasick-rs) over the normalised
terms and allow-listed phrases together, no Django.

A term's hit counts unless an allow-listed phrase found in the same text covers it: an
allow-list of 中央 keeps 中央 clean, while a longer listed term that contains 中央 still
matches, because no allowed phrase covers all of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import ahocorasick_rs

from .coding import Alphabet
from .normalise import normalise

DEFAULT_ALLOW = Path(__file__).with_name("default_allow.txt")


@cache
def default_allowed() -> tuple[str, ...]:
    """The shipped allow-list of everyday party-building vocabulary, for every lexicon."""
    lines = DEFAULT_ALLOW.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@dataclass(frozen=True)
class Result:
    terms: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def flagged(self) -> bool:
        return bool(self.terms)

    def as_json(self) -> dict:
        return {
            "flagged": self.flagged,
            "terms": list(self.terms),
            "categories": list(self.categories),
        }


CLEAN = Result()


@dataclass
class _Entry:
    hits: list[tuple[str, str]] = field(default_factory=list)  # (term as listed, category)
    allowed: bool = False


class Matcher:
    def __init__(self, terms: Iterable[tuple[str, str]], allowed: Iterable[str] = ()) -> None:
        entries: dict[str, _Entry] = {}
        for term, category in terms:
            key = normalise(term)
            if key:
                entries.setdefault(key, _Entry()).hits.append((term, category))
        for phrase in allowed:
            key = normalise(phrase)
            if key:
                entries.setdefault(key, _Entry()).allowed = True
        self.size = sum(len(e.hits) for e in entries.values())
        self._entries = list(entries.values())
        self._alphabet = Alphabet(entries)
        self._automaton = (
            ahocorasick_rs.BytesAhoCorasick([self._alphabet.key(key) for key in entries])
            if entries
            else None
        )

    def screen(self, text: str) -> Result:
        if self._automaton is None or not text:
            return CLEAN
        coded = self._alphabet.text(text)
        matches = self._automaton.find_matches_as_indexes(coded, overlapping=True)
        if not matches:
            return CLEAN
        entries = self._entries
        allowed = [(start, end) for index, start, end in matches if entries[index].allowed]
        found_terms: dict[str, None] = {}
        found_categories: dict[str, None] = {}
        for index, start, end in matches:
            hits = entries[index].hits
            if not hits or any(a <= start and end <= b for a, b in allowed):
                continue
            for term, category in hits:
                found_terms[term] = None
                found_categories[category] = None
        if not found_terms:
            return CLEAN
        return Result(tuple(found_terms), tuple(found_categories))


def parse_lexicon_lines(lines: Iterable[str], default_category: str) -> list[tuple[str, str]]:
    """One term a line; "term<TAB>category" names its category; blank and # lines skipped."""
    terms = []
    for raw in lines:
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        term, _, category = line.partition("\t")
        terms.append((term.strip(), category.strip() or default_category))
    return terms


def decode_lexicon(data: bytes) -> str:
    """UTF-8 (with or without a BOM), else GBK (read as GB18030, its superset)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")
