"""Writing a validated roster file in one transaction, and the spreadsheets we hand out."""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from weizhi.core.xlsx import XlsxWriter

from .models import AuditEntry, Branch, BranchMembership, Member, PoliticalStatus, RoleTag
from .roster import COLUMNS, HELP, Parsed, RowError, validate
from .services import audit

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


def build_template() -> bytes:
    """The import template: the heading row, one example row, and a sheet that explains
    every column and lists the organisations and role tags that exist."""
    out = XlsxWriter()
    append = out.sheet("名册", widths=(10, 12, 14, 16, 36, 12, 18, 12))
    append([h + ("*" if required else "") for h, _, required in COLUMNS])
    append(
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
    append = out.sheet("填写说明", widths=(12, 80))
    append(["列", "说明"])
    for heading, key, _ in COLUMNS:
        append([heading, HELP[key]])
    append([])
    append(["第一个工作表第一行是列名，从第二行起每行一人；请删除示例行后再导入。"])
    append(["导入前会逐行检查，全部无误并确认后才一次写入；有任何错误则一行也不写入。"])
    append = out.sheet("组织与标签", widths=(50,))
    append(["组织（完整路径）", "角色标签"])
    paths = [b.full_name() for b in Branch.objects.all()]
    tags = list(RoleTag.objects.values_list("name", flat=True))
    for i in range(max(len(paths), len(tags))):
        append([paths[i] if i < len(paths) else None, tags[i] if i < len(tags) else None])
    return out.getvalue()


def export_rows(members: Iterable[Member], *, full_phone: bool) -> bytes:
    """The roster as the import template's columns plus 在册; masked phones unless allowed."""
    out = XlsxWriter()
    append = out.sheet("名册")
    append([h for h, _, _ in COLUMNS] + ["在册"])
    full_names: dict[int, str] = {}
    for m in members:
        if m.branch_id not in full_names:
            full_names[m.branch_id] = m.branch.full_name()
        append(
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
    return out.getvalue()


# Uploads wait for confirmation on the server, under var/, named after the user and a
# random token kept in their session: the browser never holds the rows, and one user
# cannot confirm another's file. Checking and importing run as tasks, which leave their
# outcome beside the upload for the status page: {user}-{token}.json.
TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
KEEP_SECONDS = 24 * 3600
SHOWN_ERRORS = 300
PREVIEW_ROWS = 20


def _upload_dir() -> Path:
    folder = Path(settings.VAR_DIR) / "roster-imports"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _path(user_id: int, token: str, suffix: str) -> Path | None:
    if not token or not TOKEN_RE.match(token):
        return None
    return _upload_dir() / f"{int(user_id)}-{token}{suffix}"


def upload_path(user_id: int, token: str) -> Path | None:
    path = _path(user_id, token, ".xlsx")
    return path if path is not None and path.exists() else None


def store_upload(user_id: int, chunks: Iterable[bytes]) -> str:
    folder = _upload_dir()
    for old in folder.iterdir():
        if old.stat().st_mtime < time.time() - KEEP_SECONDS:
            old.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    with open(folder / f"{int(user_id)}-{token}.xlsx", "wb") as out:
        for chunk in chunks:
            out.write(chunk)
    return token


def discard_upload(user_id: int, token: str) -> None:
    for suffix in (".xlsx", ".confirmed.xlsx", ".json"):
        path = _path(user_id, token, suffix)
        if path is not None:
            path.unlink(missing_ok=True)


def claim_upload(user_id: int, token: str) -> Path | None:
    """Move a checked upload aside for its import; only one confirmation gets it."""
    path = upload_path(user_id, token)
    claimed = _path(user_id, token, ".confirmed.xlsx")
    if path is None or claimed is None:
        return None
    try:
        path.rename(claimed)
    except FileNotFoundError:
        return None
    return claimed


def claimed_path(user_id: int, token: str) -> Path | None:
    path = _path(user_id, token, ".confirmed.xlsx")
    return path if path is not None and path.exists() else None


def job_state(user_id: int, token: str) -> dict[str, Any] | None:
    path = _path(user_id, token, ".json")
    try:
        return json.loads(path.read_text()) if path is not None else None
    except FileNotFoundError:
        return None


def save_job_state(user_id: int, token: str, step: str, *, done: bool, **state: Any) -> None:
    """Record where a job is; written whole and renamed, so a reader never sees half."""
    path = _path(user_id, token, ".json")
    if path is None:
        raise ValueError("bad upload token")
    state.update(step=step, done=done, at=time.time())
    partial = path.with_suffix(".part")
    partial.write_text(json.dumps(state, ensure_ascii=False))
    os.replace(partial, path)


def preview_state(parsed: Parsed) -> dict[str, Any]:
    """What the status page shows after a check: counts, the first errors and rows."""
    labels = dict(PoliticalStatus.choices)
    return {
        "ok": parsed.ok,
        "rows": len(parsed.rows),
        "error_count": len(parsed.errors),
        "errors": [str(e) for e in parsed.errors[:SHOWN_ERRORS]],
        "preview": [
            {
                "row": r["row"],
                "name": r.get("name", ""),
                "employee_number": r.get("employee_number", ""),
                "phone": r.get("phone", ""),
                "department": r.get("department", ""),
                "status": labels.get(r.get("status"), ""),
                "joined_on": r["joined_on"].isoformat() if r.get("joined_on") else "",
            }
            for r in parsed.rows[:PREVIEW_ROWS]
        ]
        if parsed.ok
        else [],
    }
