"""The screen every free-text input calls: ``screen(text)`` names the listed terms the text
contains and their categories. A hit never hides or deletes anything; the caller marks the
item and raises it for a human (see weizhi.moderation).

Each process keeps one automaton, rebuilt when the lexicon's generation changes: reading the
generation is a stat() (embedded) or a Redis GET (scaled), at most once a second.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from weizhi.core.generation import Generation, HeldByGeneration

from .matcher import Matcher, Result, decode_lexicon, default_allowed, parse_lexicon_lines
from .models import AllowedPhrase, Category, Lexicon, Term

log = logging.getLogger(__name__)

GENERATION = Generation("screen-lexicon")
MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_TERM_LENGTH = 64


def lexicon_changed() -> None:
    # Now for this process's next read, and again once the change is visible to the others.
    GENERATION.bump()
    transaction.on_commit(GENERATION.bump)


def build_from_database() -> Matcher:
    """Terms of active lexicons in screened categories, the default and the office's
    allow-list."""
    terms = Term.objects.filter(lexicon__active=True, category__screened=True).values_list(
        "text", "category__name"
    )
    allowed = [*default_allowed(), *AllowedPhrase.objects.values_list("text", flat=True)]
    matcher = Matcher(terms.iterator(chunk_size=5000), allowed)
    log.info("screen: automaton built with %d terms", matcher.size)
    return matcher


def build_from_file(path: str | Path, default_category: str = "未分类") -> Matcher:
    text = decode_lexicon(Path(path).read_bytes())
    return Matcher(parse_lexicon_lines(text.splitlines(), default_category), default_allowed())


_held = HeldByGeneration(build_from_database, [GENERATION], max_age=1.0)


def current_matcher() -> Matcher:
    return _held.get()


def forget() -> None:
    """Drop this process's automaton (tests, whose rollbacks leave the generation as is)."""
    _held.forget()


def screen(text: str) -> Result:
    return current_matcher().screen(text)


@dataclass(frozen=True)
class ImportOutcome:
    added: int
    already: int
    too_long: list[str]


class ImportRefused(ValueError):
    """The file cannot be imported; the message is for the user."""


def import_terms(lexicon: Lexicon, category: Category, data: bytes) -> ImportOutcome:
    """A one-term-per-line file (UTF-8 or GBK); "term<TAB>category" lines name their own
    category (created if new). Terms already in the lexicon are left as they are."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRefused(f"文件太大：不能超过 {MAX_IMPORT_BYTES // 1024 // 1024} MB。")
    try:
        text = decode_lexicon(data)
    except UnicodeDecodeError as error:
        raise ImportRefused("无法识别文件编码：请使用 UTF-8 或 GBK 编码的纯文本文件。") from error
    rows = parse_lexicon_lines(text.splitlines(), category.name)
    too_long = [term for term, _ in rows if len(term) > MAX_TERM_LENGTH]
    rows = [(term, name) for term, name in rows if len(term) <= MAX_TERM_LENGTH]
    with transaction.atomic():
        categories = {category.name: category}
        for name in {name for _, name in rows} - set(categories):
            categories[name], _ = Category.objects.get_or_create(name=name[:40])
        existing = set(lexicon.terms.values_list("text", flat=True))
        new = {}
        for term, name in rows:
            if term not in existing and term not in new:
                new[term] = Term(lexicon=lexicon, text=term, category=categories[name])
        Term.objects.bulk_create(new.values(), batch_size=2000, ignore_conflicts=True)
        lexicon_changed()
    log.info(
        "screen: imported lexicon=%s added=%d already=%d too_long=%d",
        lexicon.pk,
        len(new),
        len(rows) - len(new),
        len(too_long),
    )
    return ImportOutcome(len(new), len(rows) - len(new), too_long)
