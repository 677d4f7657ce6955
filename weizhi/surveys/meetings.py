"""Who sees which meetings and which rows of their check-in lists: the one rule the meeting
list, its edit and delete pages, the host screen, its live lists and the export apply.

Those who manage surveys (编辑, 管理员) and the roster's administrators see every meeting and
every member. A 支部书记 sees the meetings they created and those whose expected members include
members of their subtree (an expected branch inside their subtree, or one above it, such as
their 党总支), and in any of them only the members of their subtree; anyone else none.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from weizhi.audience.models import Branch, Member
from weizhi.audience.scope import administered_branches, visible_branches, visible_members

from .models import Meeting
from .results import sees_all


def visible_meetings(user, queryset: QuerySet[Meeting] | None = None) -> QuerySet[Meeting]:
    queryset = Meeting.objects.all() if queryset is None else queryset
    if sees_all(user):
        return queryset
    if not user.is_authenticated:
        return queryset.none()
    q = Q(created_by=user)
    for branch in administered_branches(user):
        above = [branch.path[: n + 1] for n, c in enumerate(branch.path) if c == "/"]
        q |= Q(expected_branches__path__startswith=branch.path)
        q |= Q(expected_branches__path__in=above)
    return queryset.filter(pk__in=Meeting.objects.filter(q).values("pk"))


def attendance_members(user) -> QuerySet[Member]:
    """The members whose check-in (or absence) this user may see."""
    return Member.objects.all() if sees_all(user) else visible_members(user)


def expectable_branches(user) -> QuerySet[Branch]:
    """The branches a user may name as a meeting's expected branches."""
    return Branch.objects.all() if sees_all(user) else visible_branches(user)
