"""Which members and branches an admin user may see: the one rule every admin view,
export and statistic applies to its queryset."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Branch, Member

SECRETARY = "支部书记"
MODERATOR = "留言管理员"
SYSADMIN = "系统管理员"


def sees_everything(user) -> bool:
    return user.is_superuser or user.has_perm("audience.change_member")


def administered_branches(user) -> list[Branch]:
    """The branches whose secretary is this user's roster entry (Member.user)."""
    if not user.is_authenticated:
        return []
    return list(Branch.objects.filter(secretaries__user=user))


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


def may_reset_passwords(user) -> bool:
    """Who may reset a member's sign-in password, within visible_members: a 系统管理员 (or a
    superuser) for the whole roster, a 支部书记 for their own subtree."""
    if sees_everything(user):
        return True
    return user.has_perm("audience.view_member") and bool(administered_branches(user))
