"""Marks the words of a query in a found text: escaped first, then matches wrapped in <mark>.

The search finds 抗洪抢险 in a text that holds 抗洪 and 抢险 apart (every bigram is required,
not the whole run), so a Chinese word is marked whole where it stands whole and by its
bigrams elsewhere. Letters and digits match whole words, whatever their case or width, as the
index reads them (see segment.py). No Django here beyond its escaping.
"""

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from weizhi.search.segment import _CJK, _runs, bigrams, normalize

# Characters that continue a word of letters and digits (not Chinese, not punctuation).
_WORD_CHAR = (
    r"[^\W_\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
    r"\U00020000-\U000323af]"
)
EXCERPT_CHARS = 80


def _fold(text: str) -> str:
    """The text as the index reads it, one character for one, so positions still match."""
    folded = (normalize(char) for char in text)
    return "".join(new if len(new) == 1 else old for new, old in zip(folded, text, strict=True))


def _pattern(query: str) -> re.Pattern | None:
    words: set[str] = set()
    pieces: set[str] = set()
    for chunk in normalize(query).split():
        for kind, run in _runs(chunk):
            if kind == _CJK:
                pieces.add(run)
                pieces.update(bigrams(run))
            else:
                words.add(run)
    alternatives = [
        (len(w), rf"(?<!{_WORD_CHAR}){re.escape(w)}(?!{_WORD_CHAR})") for w in words
    ] + [(len(p), re.escape(p)) for p in pieces]
    if not alternatives:
        return None
    # The longest first, so a whole word wins over its own bigrams where both match.
    alternatives.sort(key=lambda pair: -pair[0])
    return re.compile("|".join(regex for _, regex in alternatives))


def spans(text: str, query: str) -> list[tuple[int, int]]:
    pattern = _pattern(query)
    if pattern is None or not text:
        return []
    return [match.span() for match in pattern.finditer(_fold(text))]


def highlight(text: str, query: str) -> SafeString:
    """The text escaped, with every match of the query's words inside <mark>."""
    text = str(text or "")
    out, at = [], 0
    for start, end in spans(text, query):
        out += [escape(text[at:start]), "<mark>", escape(text[start:end]), "</mark>"]
        at = end
    out.append(escape(text[at:]))
    return mark_safe("".join(out))  # noqa: S308 (every piece of the text went through escape)


def excerpt(text: str, query: str, width: int = EXCERPT_CHARS) -> SafeString | None:
    """A short window of the text around its first match, marked; None when nothing matches."""
    found = spans(text, query)
    if not found:
        return None
    start = max(found[0][0] - width // 4, 0)
    before = "…" if start else ""
    after = "…" if start + width < len(text) else ""
    return mark_safe(before + highlight(text[start : start + width], query) + after)  # noqa: S308
