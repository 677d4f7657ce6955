"""Which members and branches an admin user may see: the one rule every admin view,
export and statistic applies to its queryset."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet

from .models import Branch, Member

SECRETARY = "支部书记"
MODERATOR = "留言管理员"
SYSADMIN = "系统管理员"


def sees_everything(user) -> bool:
    return user.is_superuser or user.has_perm("audience.change_member")


def administered_branches(user) -> list[Branch]:
    """The branches whose secretary is this user's roster entry (Member.user), derived on
    every request from the roster as it is now: only while that entry is on the roster (在册)
    and belongs inside the branch's subtree, so a secretary marked 不在册 or moved elsewhere
    loses the branch on their next request, whatever the branch's list of secretaries says."""
    if not user.is_authenticated:
        return []
    return list(
        Branch.objects.filter(
            secretaries__user=user,
            secretaries__active=True,
            secretaries__branch__path__startswith=F("path"),
        ).distinct()
    )


def _subtree_q(user, field: str) -> Q | None:
    """None means no restriction; an impossible Q means nothing at all."""
    if sees_everything(user):
        return None
    paths = [b.path for b in administered_branches(user)]
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field}__startswith": path})
    return q


def visible_members(user, queryset: QuerySet[Member] | None = None) -> QuerySet[Member]:
    queryset = Member.objects.all() if queryset is None else queryset
    q = _subtree_q(user, "branch__path")
    return queryset if q is None else queryset.filter(q)


def visible_branches(user, queryset: QuerySet[Branch] | None = None) -> QuerySet[Branch]:
    queryset = Branch.objects.all() if queryset is None else queryset
    q = _subtree_q(user, "path")
    return queryset if q is None else queryset.filter(q)


def sees_full_phone(user) -> bool:
    return user.is_superuser or user.has_perm("audience.view_full_phone")
