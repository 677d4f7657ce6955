"""The question bank in and out of spreadsheets, in the layout Chinese exam tools use:
题型 | 题干 | 选项A … 选项H | 答案 | 解析 | 分值 | 难度 | 分类, one row per question.

``check`` reads an .xlsx (through core.xlsx, with its limits) or a .csv and judges every
row without writing anything; ``apply`` writes the good rows in one transaction, and only
when no row was refused. A stem already in the bank (or earlier in the file) is reported and
skipped, and does not stop the others.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from weizhi.core import xlsx

from . import scoring
from .models import Difficulty, Kind, Question, stem_key

OPTION_HEADINGS = [f"选项{letter}" for letter in scoring.LETTERS]
HEADINGS = ["题型", "题干", *OPTION_HEADINGS, "答案", "解析", "分值", "难度", "分类"]
DIFFICULTY_WORDS = {
    **dict.fromkeys(("易", "简单", "容易", "1", "低"), Difficulty.EASY),
    **dict.fromkeys(("中", "中等", "一般", "2"), Difficulty.MEDIUM),
    **dict.fromkeys(("难", "困难", "较难", "3", "高"), Difficulty.HARD),
}
KIND_WORDS = {
    **scoring.KIND_BY_LABEL,
    "单选": scoring.SINGLE,
    "多选": scoring.MULTIPLE,
    "判断": scoring.JUDGE,
    "填空": scoring.BLANK,
}
DUPLICATE = "题干重复，已跳过"
HEADER_SEARCH_ROWS = 5  # a merged title row or two may sit above the heading


class FileRefused(Exception):
    """The whole file is unusable; the message is Chinese."""


@dataclass
class Row:
    row: int
    ok: bool
    kind: str = ""
    answer: str = ""
    reason: str = ""
    column: str = ""
    duplicate: bool = False
    fields: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        if self.ok:
            return {
                "row": self.row,
                "ok": True,
                "type": scoring.KIND_LABELS[self.kind],
                "answer": self.answer,
            }
        return {"row": self.row, "ok": False, "reason": self.reason}

    @property
    def message(self) -> str:
        where = f"第 {self.row} 行" + (f"“{self.column}”列" if self.column else "")
        return f"{where}：{self.reason}"


@dataclass
class Checked:
    rows: list[Row]

    @property
    def refused(self) -> list[Row]:
        return [r for r in self.rows if not r.ok and not r.duplicate]

    @property
    def duplicates(self) -> list[Row]:
        return [r for r in self.rows if r.duplicate]

    @property
    def good(self) -> list[Row]:
        return [r for r in self.rows if r.ok]


class Refusal(Exception):
    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column, self.reason = column, reason


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "对" if value else "错"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _heading_name(value: Any) -> str:
    name = scoring.fold(text(value)).upper().strip("*")
    name = name.replace("选项", "")
    if len(name) == 1 and name in scoring.LETTERS:
        return f"选项{name}"
    return {h.upper(): h for h in HEADINGS}.get(scoring.fold(text(value)).upper().strip("*"), "")


def _columns(heading: tuple, below: tuple | None) -> tuple[dict[str, int], bool]:
    """Heading → column index. A merged "选项" cell over several columns (the cells after it
    empty, or lettered in the row below) gives those columns to 选项A, 选项B … in turn.
    Returns also whether the row below was such a sub-heading (to be skipped)."""
    columns: dict[str, int] = {}
    sub_heading = False
    i = 0
    while i < len(heading):
        name = scoring.fold(text(heading[i])).strip("*")
        if name == "选项":
            letter = 0
            j = i
            while letter < scoring.MAX_OPTIONS and j < len(heading) + scoring.MAX_OPTIONS:
                if j > i and j < len(heading) and text(heading[j]):
                    break
                columns.setdefault(OPTION_HEADINGS[letter], j)
                letter += 1
                j += 1
            if (
                below is not None
                and all(
                    _heading_name(below[k]) in OPTION_HEADINGS
                    for k in range(i, min(j, len(below)))
                    if text(below[k])
                )
                and any(text(below[k]) for k in range(i, min(j, len(below))))
            ):
                sub_heading = True
            i = j
            continue
        found = _heading_name(heading[i])
        if found:
            columns.setdefault(found, i)
        i += 1
    return columns, sub_heading


def _csv_rows(data: bytes) -> Iterator[tuple[int, tuple]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            decoded = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileRefused("无法识别 CSV 文件的编码，请另存为 UTF-8 编码后重试。")
    limit = settings.IMPORT_MAX_ROWS
    for n, values in enumerate(csv.reader(io.StringIO(decoded, newline="")), start=1):
        if n > limit + 1:
            raise FileRefused(f"一次最多导入 {limit} 行，本文件超过此数，请分批导入。")
        values = tuple(v[: xlsx.MAX_CELL_CHARS] for v in values[: xlsx.MAX_COLUMNS])
        if any(v.strip() for v in values):
            yield n, values


def read(path: Path | str, name: str | None = None) -> Iterator[tuple[int, tuple]]:
    path = Path(path)
    name = name or path.name
    if path.stat().st_size > settings.IMPORT_MAX_BYTES:
        mb = settings.IMPORT_MAX_BYTES / 1024 / 1024
        raise FileRefused(f"文件超过 {mb:.3g} MB，请分批导入。")
    if name.lower().endswith(".csv"):
        return _csv_rows(path.read_bytes())
    if not name.lower().endswith(".xlsx"):
        raise FileRefused("只能导入 .xlsx 或 .csv 文件。")

    def rows() -> Iterator[tuple[int, tuple]]:
        try:
            yield from xlsx.read_rows(path)
        except xlsx.SpreadsheetError as exc:
            raise FileRefused(exc.message) from exc

    return rows()


def check(path: Path | str, name: str | None = None) -> Checked:
    """Every non-blank data row judged, nothing written. Raises FileRefused."""
    rows = read(path, name)
    ahead: list[tuple[int, tuple]] = []
    columns: dict[str, int] = {}
    for n, values in rows:
        ahead.append((n, values))
        if any(_heading_name(v) == "题干" for v in values):
            break
        if len(ahead) >= HEADER_SEARCH_ROWS:
            raise FileRefused("找不到标题行：第一行应为 题型、题干、选项A…、答案 等列名。")
    else:
        raise FileRefused("文件里没有标题行或数据行。")
    heading = ahead[-1][1]
    peek = next(rows, None)
    columns, sub_heading = _columns(heading, peek[1] if peek else None)
    missing = [h for h in ("题型", "题干", "答案") if h not in columns]
    if missing:
        raise FileRefused("缺少必需的列：" + "、".join(missing))
    body: Iterable[tuple[int, tuple]] = rows
    if peek and not sub_heading:
        body = _chain([peek], rows)
    return _judge(body, columns)


def _chain(first: list, rest: Iterator) -> Iterator:
    yield from first
    yield from rest


def _judge(body: Iterable[tuple[int, tuple]], columns: dict[str, int]) -> Checked:
    existing: set[str] | None = None
    seen: dict[str, int] = {}
    judged: list[Row] = []
    batch: list[tuple[int, dict[str, str]]] = []

    def cells(values: tuple) -> dict[str, str]:
        return {h: text(values[i]) if i < len(values) else "" for h, i in columns.items()}

    for n, values in body:
        row = cells(values)
        if any(row.values()):
            batch.append((n, row))
    keys = {stem_key(r.get("题干", "")) for _, r in batch}
    existing = set(Question.objects.filter(stem_key__in=keys).values_list("stem_key", flat=True))
    for n, row in batch:
        try:
            fields = parse_row(row)
        except Refusal as refusal:
            judged.append(Row(n, False, reason=refusal.reason, column=refusal.column))
            continue
        key = stem_key(fields["stem"])
        if key in existing or key in seen:
            where = "题库中已有相同题干" if key in existing else f"与第 {seen[key]} 行题干相同"
            judged.append(
                Row(n, False, reason=DUPLICATE, column=where, duplicate=True, kind=fields["kind"])
            )
            continue
        seen[key] = n
        judged.append(Row(n, True, kind=fields["kind"], answer=fields["answer"], fields=fields))
    if not judged:
        raise FileRefused("文件里没有数据行。")
    return Checked(judged)


def parse_row(row: dict[str, str]) -> dict[str, Any]:
    """One row's cells (heading → text) as Question fields, or a Refusal naming the column."""
    kind_text = scoring.fold(row.get("题型", ""))
    stem = re.sub(r"[ \t\u3000]+", " ", row.get("题干", "")).strip()
    if not stem:
        raise Refusal("题干", "题干为空")
    if len(stem) > 1000:
        raise Refusal("题干", "题干超过 1000 字")
    if kind_text not in KIND_WORDS:
        raise Refusal("题型", "未知题型")
    kind = KIND_WORDS[kind_text]
    options = [row.get(h, "") for h in OPTION_HEADINGS]
    while options and not options[-1]:
        options.pop()
    answer_text = row.get("答案", "")
    if kind in (scoring.SINGLE, scoring.MULTIPLE):
        if len(options) < 2 or not all(options):
            raise Refusal("选项", "选项不完整：至少两个选项，且中间不能有空选项")
        if not scoring.fold(answer_text):
            raise Refusal("答案", "答案为空")
        letters = scoring.fold(answer_text).upper()
        letters = re.sub(r"[,，、;；/|]", "", letters)
        if not all(c in scoring.LETTERS for c in letters):
            raise Refusal("答案", "答案不在选项中")
        try:
            answer = scoring.parse_letters(answer_text, len(options))
        except scoring.AnswerError:
            raise Refusal("答案", "答案不在选项中") from None
        if kind == scoring.SINGLE and len(answer) != 1:
            raise Refusal("答案", "单选题只能有一个答案")
        if kind == scoring.MULTIPLE and len(answer) < 2:
            raise Refusal("答案", "多选题至少有两个答案")
    elif kind == scoring.JUDGE:
        options = []
        if not scoring.fold(answer_text):
            raise Refusal("答案", "答案为空")
        try:
            answer = scoring.parse_judge(answer_text)
        except scoring.AnswerError:
            raise Refusal("答案", "判断题答案无效") from None
    else:
        options = []
        try:
            answer = scoring.parse_blanks(answer_text)
        except scoring.AnswerError:
            raise Refusal("答案", "答案为空") from None
    score_text = scoring.fold(row.get("分值", "")) or "1"
    try:
        score = int(float(score_text))
    except ValueError:
        raise Refusal("分值", "分值无效") from None
    if not 1 <= score <= 100 or float(score_text) != score:
        raise Refusal("分值", "分值无效")
    difficulty_text = scoring.fold(row.get("难度", "")) or "易"
    if difficulty_text not in DIFFICULTY_WORDS:
        raise Refusal("难度", "难度无效")
    category = row.get("分类", "").strip()
    if len(category) > 40:
        raise Refusal("分类", "分类超过 40 字")
    explanation = row.get("解析", "").strip()
    if len(explanation) > 2000:
        raise Refusal("解析", "解析超过 2000 字")
    if any(len(o) > 200 for o in options):
        raise Refusal("选项", "选项超过 200 字")
    return {
        "kind": kind,
        "stem": stem,
        "options": options,
        "answer": answer,
        "explanation": explanation,
        "score": score,
        "difficulty": DIFFICULTY_WORDS[difficulty_text],
        "category": category,
    }


def apply(checked: Checked, *, source: str = "") -> int:
    """Write every good row, or nothing if any row was refused. Returns how many written."""
    if checked.refused:
        raise ValueError("rows were refused")
    with transaction.atomic():
        Question.objects.bulk_create(
            [
                Question(**r.fields, source=source[:200], stem_key=stem_key(r.fields["stem"]))
                for r in checked.good
            ],
            batch_size=500,
        )
    return len(checked.good)


def template() -> bytes:
    """The import template: headings, one example of each type, drop-downs for 题型, 难度
    and 分值, and a sheet that explains the columns."""
    from openpyxl.worksheet.datavalidation import DataValidation

    out = xlsx.XlsxWriter()
    append = out.sheet("题库", widths=(10, 40, *([16] * 8), 10, 40, 8, 8, 12))
    sheet = out.workbook.worksheets[-1]
    drops = (
        ("A", ",".join(scoring.KIND_LABELS.values())),
        ("M", "易,中,难"),
        ("L", "1,2,3,4,5,10"),
    )
    for column, values in drops:
        validation = DataValidation(type="list", formula1=f'"{values}"', allow_blank=True)
        validation.add(f"{column}2:{column}5000")
        sheet.data_validations.append(validation)
    append(HEADINGS)
    examples = [
        [
            "单选题",
            "中国共产党的最高领导机关是？",
            "党的全国代表大会和它所产生的中央委员会",
            "中央纪律检查委员会",
            "中央军事委员会",
            "中央政治局",
            "",
            "",
            "",
            "",
            "A",
            "党章第十条：党的最高领导机关，是党的全国代表大会和它所产生的中央委员会。",
            1,
            "易",
            "党章",
        ],
        [
            "判断题",
            "预备党员的预备期为一年。",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "对",
            "党章第七条：预备党员的预备期为一年。",
            1,
            "易",
            "党章",
        ],
    ]
    for example in examples:
        append(example)
    append = out.sheet("填写说明", widths=(12, 90))
    append(["列", "说明"])
    for heading, note in (
        ("题型", "单选题、多选题、判断题、填空题（也可写 单选、多选、判断、填空）。"),
        ("题干", "必填。填空题用 ____ 表示空。"),
        ("选项A…选项H", "选择题至少两个选项，从 A 起连续填写；判断题、填空题不填。"),
        (
            "答案",
            "选择题写字母：A、AB、A,B、A、B 都可以；判断题写 对/错、正确/错误、√/×、T/F；"
            "填空题每空的可接受答案用 | 分隔，多个空用 ; 分隔，如 民主集中制|民主集中 。",
        ),
        ("解析", "选填，答题后给答题人看。"),
        ("分值", "选填，1 到 100 的整数，默认 1。"),
        ("难度", "选填：易、中、难，默认 易。"),
        ("分类", "选填，如 党章、党规、党史。"),
    ):
        append([heading, note])
    append([])
    append(["先预览：逐行检查，全部无误后才一次写入；有任何错误则一行也不写入。"])
    append(["与题库中已有题目题干相同的行会列出并跳过。请删除示例行后再导入。"])
    return out.getvalue()


def export(questions: Iterable[Question]) -> bytes:
    """The bank in the import layout, so an export imports back."""
    out = xlsx.XlsxWriter()
    append = out.sheet("题库", widths=(10, 40, *([16] * 8), 10, 40, 8, 8, 12))
    append(HEADINGS)
    for q in questions:
        options = list(q.options) + [""] * (scoring.MAX_OPTIONS - len(q.options))
        append(
            [
                q.get_kind_display(),
                q.stem,
                *options,
                q.answer,
                q.explanation,
                q.score,
                q.get_difficulty_display(),
                q.category,
            ]
        )
    return out.getvalue()


__all__ = ["FileRefused", "Kind", "apply", "check", "export", "template"]
