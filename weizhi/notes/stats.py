"""Per-branch statistics of study notes, scoped: the office (editors, who may change notes)
sees the whole organisation; a 支部书记 their subtree (audience.scope); anyone else nothing.
A note counts in the branch its writer belonged to when writing it."""

from __future__ import annotations

from django.db.models import Count, Q

from weizhi.audience.models import Branch, Member
from weizhi.audience.scope import visible_branches, visible_members
from weizhi.core.xlsx import XlsxWriter
from weizhi.moderation.models import State

from .models import Note


def office_wide(user) -> bool:
    return user.is_superuser or user.has_perm("notes.change_note")


def scoped_branches(user):
    return Branch.objects.all() if office_wide(user) else visible_branches(user)


def scoped_notes(user):
    notes = Note.objects.all()
    if office_wide(user):
        return notes
    return notes.filter(branch__in=visible_branches(user))


def branch_rows(user) -> list[dict]:
    """Per branch (its own notes, not its children's): members on the roster, notes submitted,
    approved, 精选, and how many members wrote at least one."""
    members = Member.objects.all() if office_wide(user) else visible_members(user)
    active = members.filter(active=True).values("branch").annotate(n=Count("pk"))
    people = dict(active.values_list("branch", "n"))
    counts = {
        row["branch"]: row
        for row in scoped_notes(user)
        .values("branch")
        .annotate(
            submitted=Count("pk"),
            approved=Count("pk", filter=Q(item__state=State.APPROVED)),
            featured=Count("pk", filter=Q(item__state=State.APPROVED, item__featured=True)),
            writers=Count("member", distinct=True),
        )
    }
    rows = []
    shown = scoped_branches(user).filter(Q(pk__in=people) | Q(pk__in=counts))
    for branch in shown.order_by("path"):
        c = counts.get(branch.pk, {})
        n = people.get(branch.pk, 0)
        writers = c.get("writers", 0)
        rows.append(
            {
                "branch": branch,
                "members": n,
                "submitted": c.get("submitted", 0),
                "approved": c.get("approved", 0),
                "featured": c.get("featured", 0),
                "writers": writers,
                "share": round(100 * writers / n, 1) if n else 0,
            }
        )
    return rows


def export(user) -> bytes:
    out = XlsxWriter()
    append = out.sheet("各支部学习笔记", widths=(40, 10, 10, 10, 10, 12, 12))
    append(["组织", "在册人数", "提交篇数", "通过篇数", "精选篇数", "提交人数", "参与率（%）"])
    for r in branch_rows(user):
        append([
            r["branch"].full_name(), r["members"], r["submitted"], r["approved"], r["featured"],
            r["writers"], r["share"],
        ])  # fmt: skip
    return out.getvalue()
