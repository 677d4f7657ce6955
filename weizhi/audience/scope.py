"""Which members and branches an admin user may see: the one rule every admin view,
export, statistic, chooser and log applies to its queryset.

Everything else about a member is seen through the member: a follower bound to them, their
binding requests, audit entries and branch history, and the log entries of all of these.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, F, Model, Q, QuerySet
from django.db.models.functions import Cast

from .models import (
    AuditEntry,
    BindingRequest,
    Branch,
    BranchMembership,
    Follower,
    Member,
)

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


# The path of the branch that places each roster model's rows in the tree.
BRANCH_PATH = {
    Member: "branch__path",
    Branch: "path",
    AuditEntry: "member__branch__path",
    BindingRequest: "member__branch__path",
    BranchMembership: "member__branch__path",
}


def visible_followers(user, queryset: QuerySet[Follower] | None = None) -> QuerySet[Follower]:
    """A follower bound to a member is seen only with the member; an unbound one belongs to
    no branch and is seen by whoever may list followers at all."""
    queryset = Follower.objects.all() if queryset is None else queryset
    q = _subtree_q(user, "member__branch__path")
    return queryset if q is None else queryset.filter(q | Q(member__isnull=True))


def visible(user, model: type[Model], queryset: QuerySet | None = None) -> QuerySet:
    """The rows of any roster model the user may see."""
    if model is Follower:
        return visible_followers(user, queryset)
    queryset = model._default_manager.all() if queryset is None else queryset
    q = _subtree_q(user, BRANCH_PATH[model])
    return queryset if q is None else queryset.filter(q)


ROSTER_MODELS = (*BRANCH_PATH, Follower)


def visible_log_entries(user, entries: QuerySet) -> QuerySet:
    """Log entries (RosterLogEntry) of the models the user holds a permission on, about rows
    they may see; an entry about a deleted row only for those who see everything."""
    if user.is_superuser:
        return entries
    everything = sees_everything(user)
    q = Q(pk__in=[])
    for model in ROSTER_MODELS:
        opts = model._meta
        actions = ("add", "change", "delete", "view")
        if not any(user.has_perm(f"{opts.app_label}.{a}_{opts.model_name}") for a in actions):
            continue
        q_model = Q(content_type=ContentType.objects.get_for_model(model))
        if not everything:
            ids = visible(user, model).annotate(_id=Cast("pk", CharField())).values("_id")
            q_model &= Q(object_id__in=ids)
        q |= q_model
    return entries.filter(q)


def sees_full_phone(user) -> bool:
    return user.is_superuser or user.has_perm("audience.view_full_phone")


def may_reset_passwords(user) -> bool:
    """Who may reset a member's sign-in password, within visible_members: a 系统管理员 (or a
    superuser) for the whole roster, a 支部书记 for their own subtree."""
    if sees_everything(user):
        return True
    return user.has_perm("audience.view_member") and bool(administered_branches(user))
