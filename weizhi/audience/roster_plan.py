"""What a checked roster file would do to the roster: new members, changes field by field
(old → new, in the words the office uses), unchanged rows, and the members on the roster
that the file leaves out.

The plan is computed twice, for the preview and again inside the import; its fingerprint
lets the import refuse a roster that changed in between, instead of writing something the
office never saw.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .models import Branch, Member, PoliticalStatus, RoleTag, mask_phone
from .roster import Parsed
from .scope import visible_members

# The fields an import compares and writes, with the labels the preview shows.
FIELDS: list[tuple[str, str]] = [
    ("name", "姓名"),
    ("phone", "手机号"),
    ("department", "部门"),
    ("branch", "所属组织"),
    ("status", "政治面貌"),
    ("role_tags", "角色标签"),
    ("joined_on", "入党日期"),
    ("active", "在册"),
]
LABELS = dict(FIELDS)
KEEP, RETIRE = "keep", "retire"
MISSING_CHOICES = {KEEP: "保留，不做改动", RETIRE: "标记为不在册"}


@dataclass
class Change:
    row: int
    member: Member
    new: dict[str, Any]  # field → the value to write, only the fields that differ
    old: dict[str, Any]  # every compared field's value on the roster


@dataclass
class Plan:
    new: list[dict[str, Any]] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    unchanged: int = 0
    missing: list[Member] = field(default_factory=list)

    def fingerprint(self) -> str:
        """Equal for two plans that would make the same changes from the same values."""
        shape = {
            "new": sorted(r["employee_number"] for r in self.new),
            "changed": sorted(
                (c.member.pk, sorted((k, _plain(c.old[k]), _plain(v)) for k, v in c.new.items()))
                for c in self.changed
            ),
            "missing": sorted(m.pk for m in self.missing),
        }
        text = json.dumps(shape, ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def current(member: Member) -> dict[str, Any]:
    """A member's values in the shape of a checked row."""
    return {
        "name": member.name,
        "phone": member.phone,
        "department": member.department,
        "branch": member.branch_id,
        "status": member.status,
        "role_tags": sorted(t.pk for t in member.role_tags.all()),
        "joined_on": member.joined_on,
        "active": member.active,
    }


def make_plan(parsed: Parsed, *, user=None) -> Plan:
    """Compare a valid file's rows with the roster. ``user`` limits the missing members to
    those they may see (None: the whole roster)."""
    plan = Plan()
    for row in parsed.rows:
        member = row["member"]
        if member is None:
            plan.new.append(row)
            continue
        old = current(member)
        new = {
            k: row[k]
            for k, _ in FIELDS
            if not (k == "active" and row[k] is None) and row[k] != old[k]
        }
        if new:
            plan.changed.append(Change(row["row"], member, new, old))
        else:
            plan.unchanged += 1
    in_file = {r["employee_number"] for r in parsed.rows}
    scope = Member.objects.all() if user is None else visible_members(user)
    plan.missing = list(
        scope.active().exclude(employee_number__in=in_file).select_related("branch")
    )
    return plan


class Display:
    """Values as the office reads them: labels, organisation paths, tag names, 是/否."""

    def __init__(self, *, full_phone: bool) -> None:
        self.full_phone = full_phone
        self.statuses = dict(PoliticalStatus.choices)
        self.tags = dict(RoleTag.objects.values_list("pk", "name"))
        self._branches: dict[int, str] | None = None

    def branch(self, pk: int) -> str:
        if self._branches is None:
            by_path = {b.path: b for b in Branch.objects.only("pk", "name", "path")}
            self._branches = {
                b.pk: "/".join(by_path[b.path[:i]].name for i in range(13, len(b.path) + 1, 13))
                for b in by_path.values()
            }
        return self._branches.get(pk, "")

    def value(self, key: str, value: Any) -> str:
        if value is None or value == "" or value == []:
            return "（空）"
        if key == "phone":
            return value if self.full_phone else mask_phone(value)
        if key == "branch":
            return self.branch(value)
        if key == "status":
            return self.statuses.get(value, value)
        if key == "role_tags":
            return "、".join(self.tags.get(pk, "?") for pk in value)
        if key == "joined_on":
            return value.isoformat()
        if key == "active":
            return "是" if value else "否"
        return str(value)

    def change(self, change: Change) -> dict[str, Any]:
        old = change.old
        return {
            "row": change.row,
            "name": change.member.name,
            "employee_number": change.member.employee_number,
            "fields": [
                [label, self.value(k, old[k]), self.value(k, change.new[k])]
                for k, label in FIELDS
                if k in change.new
            ],
        }

    def new_row(self, row: dict[str, Any]) -> dict[str, Any]:
        return {
            "row": row["row"],
            "name": row["name"],
            "employee_number": row["employee_number"],
            "phone": self.value("phone", row["phone"]),
            "department": row["department"],
            "branch": self.branch(row["branch"]),
            "status": self.statuses.get(row["status"], ""),
            "role_tags": "、".join(self.tags.get(pk, "?") for pk in row["role_tags"]),
            "joined_on": row["joined_on"].isoformat() if row["joined_on"] else "",
        }

    def missing(self, member: Member) -> dict[str, Any]:
        return {
            "name": member.name,
            "employee_number": member.employee_number,
            "branch": self.branch(member.branch_id),
        }
