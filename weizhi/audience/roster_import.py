"""Writing a validated roster file in one transaction, and the spreadsheets we hand out."""

from __future__ import annotations

import io
import re
import secrets
import time
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook

from .models import AuditEntry, Branch, BranchMembership, Member, RoleTag
from .roster import COLUMNS, HELP, RowError, validate
from .services import audit

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
BATCH = 1000


class RosterRejected(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


def import_roster(path: Path, *, by) -> int:
    """Validate the file again (the roster may have changed since the preview) and create
    every member in it, or none."""
    parsed = validate(path)
    if not parsed.ok:
        raise RosterRejected(parsed.errors)
    now = timezone.now()
    with transaction.atomic():
        members = [
            Member(
                name=r["name"],
                employee_number=r["employee_number"],
                phone=r["phone"],
                department=r["department"],
                branch_id=r["branch"],
                status=r["status"],
                joined_on=r["joined_on"],
                created_at=now,
            )
            for r in parsed.rows
        ]
        Member.objects.bulk_create(members, batch_size=BATCH)
        if any(m.pk is None for m in members):  # a backend that returns no ids
            by_number = dict(
                Member.objects.filter(
                    employee_number__in=[m.employee_number for m in members]
                ).values_list("employee_number", "pk")
            )
            for m in members:
                m.pk = by_number[m.employee_number]
        BranchMembership.objects.bulk_create(
            [BranchMembership(member=m, branch_id=m.branch_id, started_at=now) for m in members],
            batch_size=BATCH,
        )
        Through = Member.role_tags.through
        Through.objects.bulk_create(
            [
                Through(member_id=m.pk, roletag_id=tag)
                for m, r in zip(members, parsed.rows, strict=True)
                for tag in r["role_tags"]
            ],
            batch_size=BATCH,
        )
        audit(AuditEntry.Action.IMPORT, user=by, detail={"rows": len(members)})
    return len(members)


def _workbook_bytes(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def build_template() -> bytes:
    """The import template: the heading row, one example row, and a sheet that explains
    every column and lists the organisations and role tags that exist."""
    wb = Workbook()
    sheet = wb.active
    sheet.title = "名册"
    sheet.append([h + ("*" if required else "") for h, _, required in COLUMNS])
    sheet.append(
        [
            "张三",
            "100001",
            "13800001234",
            "综合办公室",
            "第一党支部",
            "正式党员",
            "政工干部",
            "2018-07-01",
        ]
    )
    for letter, width in zip("ABCDEFGH", (10, 12, 14, 16, 36, 12, 18, 12), strict=True):
        sheet.column_dimensions[letter].width = width
    notes = wb.create_sheet("填写说明")
    notes.append(["列", "说明"])
    for heading, key, _ in COLUMNS:
        notes.append([heading, HELP[key]])
    notes.append([])
    notes.append(["第一个工作表第一行是列名，从第二行起每行一人；请删除示例行后再导入。"])
    notes.append(["导入前会逐行检查，全部无误并确认后才一次写入；有任何错误则一行也不写入。"])
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["B"].width = 80
    lists = wb.create_sheet("组织与标签")
    lists.append(["组织（完整路径）", "角色标签"])
    paths = [b.full_name() for b in Branch.objects.all()]
    tags = list(RoleTag.objects.values_list("name", flat=True))
    for i in range(max(len(paths), len(tags))):
        lists.append([paths[i] if i < len(paths) else None, tags[i] if i < len(tags) else None])
    lists.column_dimensions["A"].width = 50
    return _workbook_bytes(wb)


def export_rows(members: Iterable[Member], *, full_phone: bool) -> bytes:
    """The roster as the import template's columns plus 在册; masked phones unless allowed."""
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet("名册")
    sheet.append([h for h, _, _ in COLUMNS] + ["在册"])
    full_names: dict[int, str] = {}
    for m in members:
        if m.branch_id not in full_names:
            full_names[m.branch_id] = m.branch.full_name()
        sheet.append(
            [
                m.name,
                m.employee_number,
                m.phone if full_phone else m.masked_phone,
                m.department,
                full_names[m.branch_id],
                m.get_status_display(),
                "、".join(t.name for t in m.role_tags.all()),
                m.joined_on.isoformat() if m.joined_on else "",
                "是" if m.active else "否",
            ]
        )
    return _workbook_bytes(wb)


# Uploads wait for confirmation on the server, under var/, named after the user and a
# random token kept in their session: the browser never holds the rows, and one user
# cannot confirm another's file.
TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
KEEP_SECONDS = 24 * 3600


def _upload_dir() -> Path:
    folder = Path(settings.VAR_DIR) / "roster-imports"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def upload_path(user, token: str) -> Path | None:
    if not token or not TOKEN_RE.match(token):
        return None
    path = _upload_dir() / f"{user.pk}-{token}.xlsx"
    return path if path.exists() else None


def store_upload(user, chunks: Iterable[bytes]) -> str:
    folder = _upload_dir()
    for old in folder.glob("*.xlsx"):
        if old.stat().st_mtime < time.time() - KEEP_SECONDS:
            old.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    with open(folder / f"{user.pk}-{token}.xlsx", "wb") as out:
        for chunk in chunks:
            out.write(chunk)
    return token


def discard_upload(user, token: str) -> None:
    path = upload_path(user, token)
    if path is not None:
        path.unlink(missing_ok=True)
