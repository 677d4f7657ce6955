"""Who sees which inbox items: the 留言管理员 (inbox.manage_inbox) all of them; a handler
(inbox.handle_item) only those dispatched to them, to a department they handle, or to a
branch in the subtree they are secretary of (weizhi.audience.scope.administered_branches).

A secretary does not see the messages of their branch's members that were not dispatched to
them: a person may be writing about their own branch."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from weizhi.audience.scope import administered_branches

from .models import Item, Status


def manages(user) -> bool:
    return user.is_active and (user.is_superuser or user.has_perm("inbox.manage_inbox"))


def handles(user) -> bool:
    return user.is_active and user.has_perm("inbox.handle_item")


def may_use_inbox(user) -> bool:
    return user.is_authenticated and (manages(user) or handles(user))


def visible_items(user, queryset: QuerySet[Item] | None = None) -> QuerySet[Item]:
    queryset = Item.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    if manages(user):
        return queryset
    if not handles(user):
        return queryset.none()
    q = Q(assignee=user) | Q(department__handlers=user)
    for branch in administered_branches(user):
        q |= Q(branch__path__startswith=branch.path)
    return queryset.filter(q).distinct()


def waiting_for(user):
    """The admin home's line for this user: new messages for the 留言管理员, the items being
    handled by them for a handler; None for anyone else."""
    from django.urls import reverse

    from weizhi.analytics.office_home import Waiting

    if not may_use_inbox(user):
        return None
    url = reverse("inbox_admin_list")
    if manages(user):
        count = Item.objects.filter(status=Status.NEW).count()
        return Waiting("待受理的留言", count, f"{url}?status={Status.NEW}")
    count = visible_items(user).filter(status=Status.ASSIGNED).count()
    return Waiting("待我办理的留言", count, f"{url}?status={Status.ASSIGNED}")
