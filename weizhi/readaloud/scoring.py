"""How close a transcript is to the passage, character by character, with punctuation and
spaces left out: pure Python, no Django.

The score is difflib's ratio on the two normalised strings (0–100). The diff walks the
passage as written, so the member sees their passage with each character marked ``ok``,
``missed`` (in the passage, not read) or, between them, ``extra`` runs (read, not in the
passage); punctuation is kept and marked ``ok``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from html import escape


def is_counted(ch: str) -> bool:
    """Letters and digits count; punctuation, symbols and spaces do not."""
    return unicodedata.category(ch)[0] in "LN"


def _fold(ch: str) -> str:
    """One character as compared: full-width forms folded (ＡＢ１ → ab1), case ignored."""
    return unicodedata.normalize("NFKC", ch).lower()[:1]


def normalise(text: str) -> str:
    return "".join(c for c in map(_fold, text) if c and is_counted(c))


@dataclass(frozen=True)
class Result:
    score: float
    diff: list[list[str]]  # [mark, text] runs: mark is ok | missed | extra


def compare(passage: str, transcript: str) -> Result:
    folded = [_fold(ch) for ch in passage]
    positions = [i for i, c in enumerate(folded) if c and is_counted(c)]
    wanted = "".join(folded[i] for i in positions)
    said = normalise(transcript)
    matcher = SequenceMatcher(None, wanted, said, autojunk=False)
    score = round(100 * matcher.ratio(), 1) if wanted or said else 100.0
    marks = ["ok"] * len(passage)
    extras: dict[int, str] = {}  # an extra run read just before this passage index
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op in ("delete", "replace"):
            for k in range(a1, a2):
                marks[positions[k]] = "missed"
        if op in ("insert", "replace"):
            # Right after the last passage character before the run, before any punctuation.
            at = positions[a1 - 1] + 1 if a1 > 0 else 0
            extras[at] = extras.get(at, "") + said[b1:b2]
    runs: list[list[str]] = []

    def add(mark: str, text: str) -> None:
        if runs and runs[-1][0] == mark:
            runs[-1][1] += text
        else:
            runs.append([mark, text])

    for i, ch in enumerate(passage):
        if i in extras:
            add("extra", extras[i])
        add(marks[i], ch)
    if len(passage) in extras:
        add("extra", extras[len(passage)])
    return Result(score, runs)


def diff_html(runs: list[list[str]]) -> str:
    """The passage with its marks, escaped: <del> for missed, <ins> for extra."""
    tags = {"missed": ("<del class=\"ra-missed\">", "</del>"),
            "extra": ("<ins class=\"ra-extra\">", "</ins>")}  # fmt: skip
    out = []
    for mark, text in runs:
        open_, close = tags.get(mark, ("", ""))
        out.append(f"{open_}{escape(text)}{close}")
    return "".join(out)
