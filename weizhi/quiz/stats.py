"""Quiz statistics, scoped: per-question correct rate and per-branch participation (members
who took part / members) with the average score. Editors (who keep the activities) see the
whole organisation; a 支部书记 their subtree (audience.scope). No personal ranking."""

from __future__ import annotations

from django.db.models import Avg, Count, Max, Q

from weizhi.audience.models import Branch, Member
from weizhi.audience.scope import visible_branches, visible_members
from weizhi.core.xlsx import XlsxWriter

from .models import Activity, Answer, Attempt, Question


def office_wide(user) -> bool:
    return user.is_superuser or user.has_perm("quiz.change_activity")


def scoped_members(user):
    return Member.objects.all() if office_wide(user) else visible_members(user)


def scoped_branches(user):
    return Branch.objects.all() if office_wide(user) else visible_branches(user)


def _attempts(user, activity: Activity | None):
    attempts = Attempt.objects.filter(finished_at__isnull=False, member__in=scoped_members(user))
    return attempts.filter(activity=activity) if activity else attempts


def question_rows(user, activity: Activity | None = None) -> list[dict]:
    answers = Answer.objects.filter(attempt__in=_attempts(user, activity))
    counts = answers.values("question").annotate(
        total=Count("pk"), right=Count("pk", filter=Q(correct=True))
    )
    by_id = {c["question"]: c for c in counts}
    questions = Question.objects.filter(pk__in=by_id).order_by("pk")
    rows = []
    for q in questions:
        c = by_id[q.pk]
        rate = round(100 * c["right"] / c["total"], 1) if c["total"] else 0
        rows.append({"question": q, "answered": c["total"], "right": c["right"], "rate": rate})
    return rows


def branch_rows(user, activity: Activity | None = None) -> list[dict]:
    """Per branch (its direct members): members on the roster, how many took part, and the
    average score of the finished attempts."""
    members = scoped_members(user).filter(active=True)
    people = dict(members.values("branch").annotate(n=Count("pk")).values_list("branch", "n"))
    attempts = _attempts(user, activity).filter(member__active=True)
    taken = {
        row["member__branch"]: row
        for row in attempts.values("member__branch").annotate(
            takers=Count("member", distinct=True), average=Avg("score")
        )
    }
    rows = []
    for branch in scoped_branches(user).filter(pk__in=people).order_by("path"):
        t = taken.get(branch.pk, {"takers": 0, "average": None})
        n = people.get(branch.pk, 0)
        rows.append(
            {
                "branch": branch,
                "members": n,
                "takers": t["takers"],
                "share": round(100 * t["takers"] / n, 1) if n else 0,
                "average": round(float(t["average"]), 1) if t["average"] is not None else "—",
            }
        )
    return rows


def export(user, activity: Activity | None = None) -> bytes:
    out = XlsxWriter()
    append = out.sheet("组织参与", widths=(40, 10, 10, 12, 10))
    append(["组织", "在册人数", "参与人数", "参与率（%）", "平均分"])
    for r in branch_rows(user, activity):
        append([r["branch"].full_name(), r["members"], r["takers"], r["share"], r["average"]])
    append = out.sheet("题目正确率", widths=(60, 10, 10, 10, 12))
    append(["题干", "题型", "作答次数", "答对次数", "正确率（%）"])
    for r in question_rows(user, activity):
        q = r["question"]
        append([q.stem, q.get_kind_display(), r["answered"], r["right"], r["rate"]])
    return out.getvalue()


def top(activity: Activity, n: int) -> list[tuple[str, float]]:
    """The best scores of an activity that opted in to show a top-N: (name, best score)."""
    best = (
        Attempt.objects.filter(activity=activity, finished_at__isnull=False)
        .values("member__name", "member")
        .annotate(best=Max("score"))
        .order_by("-best", "member")[:n]
    )
    return [(row["member__name"], row["best"]) for row in best]
