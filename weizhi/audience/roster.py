"""Roster spreadsheets: the columns, the downloadable template, and validating an upload.

Validation reads the whole file and reports every bad row before anything is written;
``import_roster`` (in roster_import) writes the rows only when there is no error at all.
A 工号 already on the roster is an update of that member (roster_plan compares the two), so
a file exported from the admin, edited and imported back changes exactly what was edited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from weizhi.core import xlsx

from .models import Branch, Member, PoliticalStatus, RoleTag, mask_phone
from .scope import sees_everything, visible_branches, visible_members

# (heading, key, required). The export writes the same columns, so an export imports back.
COLUMNS: list[tuple[str, str, bool]] = [
    ("姓名", "name", True),
    ("工号", "employee_number", True),
    ("手机号", "phone", False),
    ("部门", "department", False),
    ("所属组织", "branch", True),
    ("政治面貌", "status", True),
    ("角色标签", "role_tags", False),
    ("入党日期", "joined_on", False),
]
HELP: dict[str, str] = {
    "name": "必填，最多 30 字。",
    "employee_number": "必填，最多 20 位字母或数字，全名册唯一。",
    "phone": "选填，11 位手机号，以 1 开头。",
    "department": "选填，最多 60 字。",
    "branch": "必填，组织名称；同名时写完整路径，如 机关党委/综合党总支/第一党支部。",
    "status": "必填：" + "、".join(PoliticalStatus.labels),
    "role_tags": "选填，多个用逗号或顿号分隔，须是后台“角色标签”中已有的名称。",
    "joined_on": "选填，日期，如 2018-07-01。",
    "active": "选填：是 或 否；导出的名册带有此列。留空时新党员为在册，已有党员不变。",
}
# Optional columns beyond the template's; the export writes them, so the import reads them.
ACTIVE_HEADING = "在册"
YES_NO = {"是": True, "否": False}
MASKED_PHONE_RE = re.compile(r"^1\d{2}\*{4}\d{4}$")
STATUS_BY_LABEL = {label: value for value, label in PoliticalStatus.choices}
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
NUMBER_RE = re.compile(r"^[0-9A-Za-z-]{1,20}$")
TAG_SPLIT = re.compile(r"[,，、;；\s]+")
DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


@dataclass
class RowError:
    row: int
    message: str

    def __str__(self) -> str:
        return f"第 {self.row} 行：{self.message}" if self.row else self.message


@dataclass
class Parsed:
    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # numbers typed into Excel come back as floats
    return str(value).strip()


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = DATE_RE.match(_text(value))
    if not match:
        raise ValueError
    return date(*map(int, match.groups()))


class BranchIndex:
    """Finds a branch by its full path (机关党委/…/第一党支部) or by a name that is unique."""

    def __init__(self) -> None:
        branches = list(Branch.objects.only("pk", "name", "path"))
        by_path = {b.path: b for b in branches}
        self.by_name: dict[str, list[Branch]] = {}
        self.by_full: dict[str, Branch] = {}
        for b in branches:
            self.by_name.setdefault(b.name, []).append(b)
            parts = [by_path[b.path[:i]].name for i in range(13, len(b.path) + 1, 13)]
            self.by_full["/".join(parts)] = b

    def find(self, text: str) -> Branch:
        text = re.sub(r"\s*/\s*", "/", text)
        if text in self.by_full:
            return self.by_full[text]
        found = self.by_name.get(text, [])
        if len(found) == 1:
            return found[0]
        if found:
            raise LookupError(f"所属组织“{text}”有 {len(found)} 个同名组织，请写完整路径")
        raise LookupError(f"所属组织“{text}”不存在")


def read_rows(path: Path) -> tuple[dict[str, int], list[tuple[int, tuple]], list[RowError]]:
    """The heading → column map and the non-empty rows (with their Excel row numbers); the
    first non-empty row is the heading. Limits are the settings' (core.xlsx)."""
    try:
        rows = xlsx.read_rows(path)
        _, first = next(rows, (0, ()))
        heading = [_text(h).rstrip("*＊ ") for h in first]
        columns = {h: i for i, h in enumerate(heading) if h}
        missing = [h for h, _, required in COLUMNS if required and h not in columns]
        if missing:
            rows.close()
            return {}, [], [RowError(0, "缺少必需的列：" + "、".join(missing))]
        body = [(n, r) for n, r in rows if any(_text(v) for v in r)]
    except xlsx.SpreadsheetError as exc:
        return {}, [], [RowError(0, exc.message)]
    return columns, body, []


class RowChecker:
    """Validates one row at a time against the roster and the rows seen before it.

    ``scope`` is the members the importer may change (None: all of them, as for the
    command line); a 工号 outside it is refused rather than silently updated or duplicated."""

    def __init__(self, numbers_in_file: set[str], scope=None, branches=None) -> None:
        self.branches = BranchIndex()
        self.allowed_branches = branches
        self.tags = {t.name: t.pk for t in RoleTag.objects.all()}
        self.known = {
            m.employee_number: m
            for m in Member.objects.filter(employee_number__in=numbers_in_file)
            .select_related("branch")
            .prefetch_related("role_tags")
        }
        self.in_scope = (
            None
            if scope is None
            else set(scope.filter(employee_number__in=self.known).values_list("pk", flat=True))
        )
        self.seen: dict[str, int] = {}

    def check(self, n: int, cells: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        errors: list[str] = []
        row: dict[str, Any] = {"row": n, "member": None}
        for key, checker in (
            ("name", self._name),
            ("employee_number", self._number),
            ("phone", self._phone),
            ("department", self._department),
            ("branch", self._branch),
            ("status", self._status),
            ("role_tags", self._tags),
            ("joined_on", self._joined_on),
            ("active", self._active),
        ):
            try:
                row[key] = checker(row, cells.get(key))
            except ValueError as exc:
                errors.append(str(exc))
        return row, errors

    def _name(self, row: dict, value: Any) -> str:
        name = _text(value)
        if not name:
            raise ValueError("姓名不能为空")
        if len(name) > 30:
            raise ValueError("姓名超过 30 字")
        return name

    def _number(self, row: dict, value: Any) -> str:
        number = _text(value)
        if not number:
            raise ValueError("工号不能为空")
        if not NUMBER_RE.match(number):
            raise ValueError(f"工号“{number}”只能是 20 位以内的字母、数字或连字符")
        if number in self.seen:
            raise ValueError(f"工号 {number} 与第 {self.seen[number]} 行重复")
        self.seen[number] = row["row"]
        member = self.known.get(number)
        if member is not None and self.in_scope is not None and member.pk not in self.in_scope:
            raise ValueError(f"工号 {number} 的党员不在您管理的组织内，不能修改")
        row["member"] = member
        return number

    def _phone(self, row: dict, value: Any) -> str:
        phone = re.sub(r"[\s-]", "", _text(value))
        member = row["member"]
        if MASKED_PHONE_RE.match(phone) and member and mask_phone(member.phone) == phone:
            return member.phone  # an export with masked phones keeps the numbers on file
        if phone and not PHONE_RE.match(phone):
            raise ValueError(f"手机号“{phone}”格式不正确，应为以 1 开头的 11 位数字")
        return phone

    def _department(self, row: dict, value: Any) -> str:
        department = _text(value)
        if len(department) > 60:
            raise ValueError("部门超过 60 字")
        return department

    def _branch(self, row: dict, value: Any) -> int:
        text = _text(value)
        if not text:
            raise ValueError("所属组织不能为空")
        try:
            branch = self.branches.find(text)
        except LookupError as exc:
            raise ValueError(str(exc)) from None
        if self.allowed_branches is not None and branch.pk not in self.allowed_branches:
            raise ValueError(f"所属组织“{text}”不在您管理的范围内")
        return branch.pk

    def _status(self, row: dict, value: Any) -> str:
        text = _text(value)
        if text not in STATUS_BY_LABEL:
            allowed = "、".join(STATUS_BY_LABEL)
            raise ValueError(
                f"政治面貌“{text}”无效，应为 {allowed} 之一" if text else "政治面貌不能为空"
            )
        return STATUS_BY_LABEL[text]

    def _tags(self, row: dict, value: Any) -> list[int]:
        names = [t for t in TAG_SPLIT.split(_text(value)) if t]
        unknown = [t for t in names if t not in self.tags]
        if unknown:
            raise ValueError(f"角色标签“{'、'.join(unknown)}”不存在，请先在后台添加")
        return sorted({self.tags[t] for t in names})

    def _joined_on(self, row: dict, value: Any) -> date | None:
        if not _text(value):
            return None
        try:
            return _date(value)
        except ValueError:
            raise ValueError(f"入党日期“{_text(value)}”无法识别，请写成 2018-07-01") from None

    def _active(self, row: dict, value: Any) -> bool | None:
        """None when left empty: a new member is on the roster, an existing one unchanged."""
        text = _text(value)
        if not text:
            return None
        if text not in YES_NO:
            raise ValueError(f"在册“{text}”无效，应为 是 或 否")
        return YES_NO[text]


def validate(path: Path, *, user=None) -> Parsed:
    """Every row checked; ``user`` limits which members and branches the file may touch
    (None: no limit, for the command line)."""
    columns, body, errors = read_rows(path)
    if errors:
        return Parsed(errors=errors)
    if not body:
        return Parsed(errors=[RowError(0, "文件里没有数据行。")])
    index = {key: columns.get(heading) for heading, key, _ in COLUMNS}
    index["active"] = columns.get(ACTIVE_HEADING)

    def cells(values: tuple) -> dict[str, Any]:
        return {
            k: values[i] if i is not None and i < len(values) else None for k, i in index.items()
        }

    numbers = {_text(cells(v)["employee_number"]) for _, v in body}
    checker = RowChecker(numbers, *_scope(user))
    parsed = Parsed()
    for n, values in body:
        row, messages = checker.check(n, cells(values))
        parsed.rows.append(row)
        parsed.errors.extend(RowError(n, m) for m in messages)
    return parsed


def _scope(user) -> tuple[Any, set[int] | None]:
    if user is None or sees_everything(user):
        return None, None
    return visible_members(user), set(visible_branches(user).values_list("pk", flat=True))
