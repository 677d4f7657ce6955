"""Writing a validated roster file in one transaction, and the spreadsheets we hand out."""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from weizhi.core.xlsx import XlsxWriter

from . import services
from .models import (
    AuditEntry,
    Branch,
    BranchKind,
    BranchMembership,
    Member,
    PoliticalStatus,
    RoleTag,
)
from .roster import COLUMNS, HELP, Parsed, RowError, validate
from .roster_plan import (
    KEEP,
    LABELS,
    MISSING_CHOICES,
    RETIRE,
    Change,
    Display,
    make_plan,
)
from .services import audit

BATCH = 1000


class RosterRejected(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


ROSTER_MOVED = "确认前名册已有变化（有人修改了名册），本次没有写入任何数据，请重新上传检查。"


@dataclass(frozen=True)
class Applied:
    created: int
    updated: int
    unchanged: int
    retired: int


def import_roster(
    path: Path, *, by, missing: str = KEEP, expect: str | None = None, user=None
) -> Applied:
    """Validate the file again and write it all or nothing: new members created, changed
    ones updated, and — if asked — members the file leaves out marked 不在册. ``expect`` is
    the fingerprint of the plan the office confirmed: a roster changed since then is refused.
    ``user`` (default ``by``) limits what the file may touch."""
    user = by if user is None else user
    parsed = validate(path, user=user)
    if not parsed.ok:
        raise RosterRejected(parsed.errors)
    plan = make_plan(parsed, user=user)
    if expect is not None and plan.fingerprint() != expect:
        raise RosterRejected([RowError(0, ROSTER_MOVED)])
    retire = plan.missing if missing == RETIRE else []
    display = Display(full_phone=False)
    with transaction.atomic():
        _create(plan.new)
        entries = [_update(change, by, display) for change in plan.changed]
        entries += _retire(retire, by)
        AuditEntry.objects.bulk_create(entries, batch_size=BATCH)
        audit(
            AuditEntry.Action.IMPORT,
            user=by,
            detail={
                "rows": len(parsed.rows),
                "created": len(plan.new),
                "updated": len(plan.changed),
                "unchanged": plan.unchanged,
                "missing": MISSING_CHOICES.get(missing, MISSING_CHOICES[KEEP]),
                "retired": len(retire),
            },
        )
        for member in [c.member for c in plan.changed] + retire:
            services.roster_changed(member)
    return Applied(len(plan.new), len(plan.changed), plan.unchanged, len(retire))


def _create(rows: list[dict[str, Any]]) -> None:
    now = timezone.now()
    members = [
        Member(
            name=r["name"],
            employee_number=r["employee_number"],
            phone=r["phone"],
            department=r["department"],
            branch_id=r["branch"],
            status=r["status"],
            joined_on=r["joined_on"],
            active=r["active"] is not False,
            left_on=None if r["active"] is not False else timezone.localdate(),
            created_at=now,
        )
        for r in rows
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
            for m, r in zip(members, rows, strict=True)
            for tag in r["role_tags"]
        ],
        batch_size=BATCH,
    )


def _update(change: Change, by, display: Display) -> AuditEntry:
    """One member's changed fields; a new branch goes through move_member, so their branch
    history and its audit entry are kept as for a move in the admin."""
    member, new = change.member, change.new
    described = display.change(change)
    plain = {k: v for k, v in new.items() if k not in ("branch", "role_tags")}
    if "active" in plain:
        plain["left_on"] = None if plain["active"] else timezone.localdate()
    if plain:
        Member.objects.filter(pk=member.pk).update(**plain)
    if "branch" in new:
        services.move_member(member, Branch.objects.get(pk=new["branch"]), by=by)
    if "role_tags" in new:
        member.role_tags.set(new["role_tags"])
    return AuditEntry(
        action=AuditEntry.Action.PROFILE,
        user=by,
        member=member,
        detail={"source": "导入名册", "changes": {f[0]: f[1:] for f in described["fields"]}},
    )


def _retire(members: list[Member], by) -> list[AuditEntry]:
    today = timezone.localdate()
    Member.objects.filter(pk__in=[m.pk for m in members]).update(active=False, left_on=today)
    return [
        AuditEntry(
            action=AuditEntry.Action.PROFILE,
            user=by,
            member=m,
            detail={"source": "导入名册（文件中没有）", "changes": {"在册": ["是", "否"]}},
        )
        for m in members
    ]


def build_template() -> bytes:
    """The import template: the heading row, one example row that names an organisation of
    this installation, drop-down lists (data validation) for 政治面貌, 所属组织 and 角色标签,
    a sheet that explains every column and one that lists the organisations and role tags.
    The lists live on a hidden last sheet, so they may be as long as the tree; the import
    reads only the first sheet."""
    branches = list(Branch.objects.all())
    paths = Display(full_phone=False)
    full = [paths.branch(b.pk) for b in branches]
    tags = list(RoleTag.objects.values_list("name", flat=True))
    statuses = list(PoliticalStatus.labels)
    sample_branch = next(
        (full[i] for i, b in enumerate(branches) if b.kind == BranchKind.BRANCH),
        full[0] if full else "（请先在后台“党组织”中建立组织）",
    )
    out = XlsxWriter()
    append = out.sheet("名册", widths=(10, 12, 14, 16, 36, 12, 18, 12))
    append([h + ("*" if required else "") for h, _, required in COLUMNS])
    example = ["张三", "100001", "13800001234", "综合办公室", sample_branch, statuses[0]]
    append([*example, tags[0] if tags else "", "2018-07-01"])
    append = out.sheet("填写说明", widths=(12, 80))
    append(["列", "说明"])
    for heading, key, _ in COLUMNS:
        append([heading, HELP[key]])
    append([])
    append(["第一个工作表第一行是列名，从第二行起每行一人；请删除示例行后再导入。"])
    append(["政治面貌、所属组织、角色标签三列可从下拉列表中选择。"])
    append(["工号已在名册中的行会更新该党员，导入前逐项显示将修改的内容。"])
    append(["在册：" + HELP["active"]])
    append(["导入前会逐行检查，全部无误并确认后才一次写入；有任何错误则一行也不写入。"])
    append = out.sheet("组织与标签", widths=(50, 20))
    append(["组织（完整路径）", "角色标签"])
    for i in range(max(len(full), len(tags))):
        append([full[i] if i < len(full) else None, tags[i] if i < len(tags) else None])
    _drop_downs(out, statuses, full, tags)
    return out.getvalue()


LISTS_SHEET = "选项"


def _drop_downs(out: XlsxWriter, statuses: list[str], paths: list[str], tags: list[str]) -> None:
    append = out.sheet(LISTS_SHEET)
    append(["政治面貌", "所属组织", "角色标签"])
    for i in range(max(len(statuses), len(paths), len(tags))):
        append([v[i] if i < len(v) else None for v in (statuses, paths, tags)])
    lists = out.workbook[LISTS_SHEET]
    lists.sheet_state = "hidden"
    roster = out.workbook["名册"]
    last_row = settings.IMPORT_MAX_ROWS + 1
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    columns = {key: get_column_letter(i) for i, (_, key, _) in enumerate(COLUMNS, start=1)}
    for key, source, items, strict, prompt in (
        ("status", "A", statuses, True, "请从列表中选择政治面貌。"),
        ("branch", "B", paths, False, "请从列表中选择组织；名称唯一时也可只写名称。"),
        ("role_tags", "C", tags, False, "可从列表中选择一个；多个标签用顿号分隔。"),
    ):
        if not items:
            continue
        rule = DataValidation(
            type="list",
            formula1=f"'{LISTS_SHEET}'!${source}$2:${source}${len(items) + 1}",
            allow_blank=True,
            showDropDown=False,  # False shows the arrow (the attribute's name says the opposite)
            showErrorMessage=True,
            errorStyle="stop" if strict else "warning",
            errorTitle="不在列表中",
            error=prompt,
            promptTitle=LABELS.get(key, ""),
            prompt=prompt,
            showInputMessage=True,
        )
        rule.add(f"{columns[key]}2:{columns[key]}{last_row}")
        roster.data_validations.append(rule)


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


SHOWN_CHANGES = 200
SHOWN_MISSING = 100


def preview_state(parsed: Parsed, *, user=None, full_phone: bool = False) -> dict[str, Any]:
    """What the status page shows after a check: counts, the first errors, the first new
    rows, the changes field by field, the members the file leaves out, and the plan's
    fingerprint that the confirmation hands back to the import."""
    state: dict[str, Any] = {
        "ok": parsed.ok,
        "rows": len(parsed.rows),
        "error_count": len(parsed.errors),
        "errors": [str(e) for e in parsed.errors[:SHOWN_ERRORS]],
        "preview": [],
    }
    if not parsed.ok:
        return state
    plan = make_plan(parsed, user=user)
    display = Display(full_phone=full_phone)
    state.update(
        new_count=len(plan.new),
        changed_count=len(plan.changed),
        unchanged_count=plan.unchanged,
        missing_count=len(plan.missing),
        preview=[display.new_row(r) for r in plan.new[:PREVIEW_ROWS]],
        changes=[display.change(c) for c in plan.changed[:SHOWN_CHANGES]],
        missing=[display.missing(m) for m in plan.missing[:SHOWN_MISSING]],
        fingerprint=plan.fingerprint(),
    )
    return state
