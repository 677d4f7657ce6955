"""Answers and their scores, in plain Python (no Django): how a typed answer is normalised,
and what an answer to each question type earns.

Normalised answers are strings, the form the import's JSON shows and the database keeps:
choice questions as their letters sorted and joined ("AB"), 判断题 as 对 or 错, 填空题 as the
accepted answers of each blank joined by "|", blanks separated by ";".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

SINGLE, MULTIPLE, JUDGE, BLANK = "single", "multiple", "judge", "blank"
KIND_LABELS = {SINGLE: "单选题", MULTIPLE: "多选题", JUDGE: "判断题", BLANK: "填空题"}
KIND_BY_LABEL = {label: kind for kind, label in KIND_LABELS.items()}
LETTERS = "ABCDEFGH"
MAX_OPTIONS = len(LETTERS)
TRUE, FALSE = "对", "错"
JUDGE_WORDS = {
    **dict.fromkeys(("对", "正确", "√", "✓", "✔", "T", "TRUE", "Y", "是"), TRUE),
    **dict.fromkeys(("错", "错误", "×", "✗", "✘", "X", "F", "FALSE", "N", "否"), FALSE),
}
# Partial credit for 多选题 (and for 填空题 with several blanks).
ALL_OR_NOTHING, HALF, PROPORTIONAL = "none", "half", "proportional"
PARTIAL_LABELS = {
    ALL_OR_NOTHING: "全对才得分",
    HALF: "少选不错选得一半",
    PROPORTIONAL: "少选不错选按选对比例得分",
}
BLANK_SEPARATOR, ALTERNATIVE_SEPARATOR = ";", "|"
_SEPARATORS = re.compile(r"[\s,，、;；/|]+")


class AnswerError(ValueError):
    """An answer that cannot be read; the message is Chinese, for the person who wrote it."""


def fold(text: str) -> str:
    """Full-width to half-width, no spaces at all, case ignored: how two fill-in answers are
    compared ("中国 共产党" and "中国共产党" are the same answer; so are "ＡＢ" and "ab")."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def parse_letters(text: str, option_count: int) -> str:
    """ "A", "AB", "A,B", "A、B", "a b", "ＡＢ" → "AB". Raises AnswerError naming the fault."""
    letters = fold(text).upper()
    letters = _SEPARATORS.sub("", letters)
    if not letters:
        raise AnswerError("答案为空")
    if not all(c in LETTERS for c in letters):
        raise AnswerError(f"答案“{text.strip()}”应为选项字母，如 A 或 ABD")
    if any(LETTERS.index(c) >= option_count for c in letters):
        raise AnswerError(f"答案“{text.strip()}”不在选项中")
    return "".join(sorted(set(letters)))


def parse_judge(text: str) -> str:
    word = fold(text).upper()
    if not word:
        raise AnswerError("答案为空")
    if word not in JUDGE_WORDS:
        raise AnswerError(f"判断题答案无效：“{text.strip()}”，应为 对/错、正确/错误、√/× 或 T/F")
    return JUDGE_WORDS[word]


def parse_blanks(text: str) -> str:
    """ "党章|中国共产党章程；民主集中制" → two blanks, the first with two accepted answers."""
    blanks = []
    for blank in re.split(r"[;；]", text):
        accepted = [a.strip() for a in re.split(r"[|｜]", blank) if a.strip()]
        if accepted:
            blanks.append(ALTERNATIVE_SEPARATOR.join(accepted))
    if not blanks:
        raise AnswerError("答案为空")
    return BLANK_SEPARATOR.join(blanks)


def blank_count(answer: str) -> int:
    return len(answer.split(BLANK_SEPARATOR)) if answer else 0


@dataclass(frozen=True)
class Marked:
    correct: bool
    points: Decimal


def _points(score: int | Decimal, fraction: Decimal) -> Decimal:
    return (Decimal(score) * fraction).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _partial(right: int, wrong: int, total: int, mode: str) -> Decimal:
    if wrong or right == 0:
        return Decimal(0)
    if right == total:
        return Decimal(1)
    if mode == HALF:
        return Decimal("0.5")
    if mode == PROPORTIONAL:
        return Decimal(right) / Decimal(total)
    return Decimal(0)


def mark(
    kind: str, answer: str, given: str | list[str], score: int, partial: str = ALL_OR_NOTHING
) -> Marked:
    """The points ``given`` earns on a question worth ``score`` whose normalised answer is
    ``answer``. ``given`` is letters for choice questions, 对/错 (or any judge word) for
    判断题, and a list with one string per blank for 填空题. An unreadable answer earns 0."""
    if kind == BLANK:
        fills = [given] if isinstance(given, str) else list(given)
        blanks = answer.split(BLANK_SEPARATOR)
        right = sum(
            1
            for i, accepted in enumerate(blanks)
            if i < len(fills)
            and fold(fills[i]) in {fold(a) for a in accepted.split(ALTERNATIVE_SEPARATOR)}
        )
        fraction = _partial(right, 0, len(blanks), partial)
        return Marked(right == len(blanks), _points(score, fraction))
    text = given if isinstance(given, str) else "".join(given)
    try:
        chosen = parse_judge(text) if kind == JUDGE else parse_letters(text, MAX_OPTIONS)
    except AnswerError:
        return Marked(False, Decimal(0))
    if kind != MULTIPLE:
        correct = chosen == answer
        return Marked(correct, _points(score, Decimal(1 if correct else 0)))
    right = len(set(chosen) & set(answer))
    wrong = len(set(chosen) - set(answer))
    fraction = _partial(right, wrong, len(answer), partial)
    return Marked(chosen == answer, _points(score, fraction))
