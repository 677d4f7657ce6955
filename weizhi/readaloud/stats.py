"""Check-in statistics per branch, scoped by audience.scope: editors see the whole
organisation, a 支部书记 their subtree. Per branch (its direct members on the roster): how many
read at least once in the period, how many readings, days checked in, and the average score of
the scored readings. No personal ranking."""

from __future__ import annotations

from datetime import date

from django.db.models import Avg, Count

from weizhi.audience.models import Branch, Member
from weizhi.audience.scope import visible_branches, visible_members
from weizhi.core.xlsx import XlsxWriter

from .models import Reading


def office_wide(user) -> bool:
    return user.is_superuser or user.has_perm("readaloud.change_clip")


def scoped_members(user):
    return Member.objects.all() if office_wide(user) else visible_members(user)


def scoped_branches(user):
    return Branch.objects.all() if office_wide(user) else visible_branches(user)


def branch_rows(user, start: date, end: date) -> list[dict]:
    members = scoped_members(user).filter(active=True)
    people = dict(members.values("branch").annotate(n=Count("pk")).values_list("branch", "n"))
    readings = Reading.objects.filter(member__in=members, day__gte=start, day__lte=end)
    done = {
        row["member__branch"]: row
        for row in readings.values("member__branch").annotate(
            readers=Count("member", distinct=True),
            readings=Count("pk"),
            average=Avg("score"),
        )
    }
    days: dict[int, int] = {}  # member-days with a reading, per branch
    pairs = readings.values_list("member__branch", "member", "day").distinct()
    for branch_id, _member, _day in pairs:
        days[branch_id] = days.get(branch_id, 0) + 1
    rows = []
    for branch in scoped_branches(user).filter(pk__in=people).order_by("path"):
        d = done.get(branch.pk, {"readers": 0, "readings": 0, "average": None})
        n = people.get(branch.pk, 0)
        rows.append({
            "branch": branch,
            "members": n,
            "readers": d["readers"],
            "share": round(100 * d["readers"] / n, 1) if n else 0,
            "readings": d["readings"],
            "checkin_days": days.get(branch.pk, 0),
            "average": round(float(d["average"]), 1) if d["average"] is not None else "—",
        })  # fmt: skip
    return rows


def export(user, start: date, end: date) -> bytes:
    out = XlsxWriter()
    append = out.sheet("朗读打卡", widths=(40, 10, 10, 12, 10, 12, 10))
    append(["组织", "在册人数", "参与人数", "参与率（%）", "朗读次数", "打卡人天", "平均得分"])
    for r in branch_rows(user, start, end):
        append([r["branch"].full_name(), r["members"], r["readers"], r["share"], r["readings"],
                r["checkin_days"], r["average"]])  # fmt: skip
    return out.getvalue()
