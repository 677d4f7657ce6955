"""Who sees which items of the queue: those who moderate (留言管理员, 编辑, 管理员) see all
of it; a 支部书记 sees, without acting, the contributions of members in their own subtree;
everyone else nothing."""

from django.db.models import QuerySet

from weizhi.audience.scope import visible_members

from .models import Item


def may_moderate(user) -> bool:
    return user.is_active and user.has_perm("moderation.moderate_item")


def visible_items(user, queryset: QuerySet[Item] | None = None) -> QuerySet[Item]:
    queryset = Item.objects.all() if queryset is None else queryset
    if may_moderate(user):
        return queryset
    if user.is_active and user.has_perm("moderation.view_item"):
        return queryset.filter(member__in=visible_members(user))
    return queryset.none()


def waiting_for(user):
    """The admin home's line for those who decide: contributions waiting in the queue."""
    from django.urls import reverse

    from weizhi.analytics.office_home import Waiting

    from .models import State

    if not may_moderate(user):
        return None
    count = Item.objects.filter(state=State.PENDING).count()
    return Waiting("待审核的留言与投稿", count, reverse("moderation_queue"))
