"""The admin's front door for an office: what waits for me, how reading went today and this
week, the week's most read stories and my drafts. Each part shows only to the roles it
serves and counts only what the user may see (weizhi.audience.scope)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from wagtail.admin.ui.components import Component
from wagtail.models import GroupApprovalTask, Page, TaskState, WorkflowState
from wagtail.permission_policies.pages import PagePermissionPolicy

from weizhi.analytics.models import DailyPageStats
from weizhi.audience.models import BindingRequest, Follower
from weizhi.audience.scope import visible, visible_followers

TOP_STORIES = 5
DRAFTS = 5
REVIEWS = 5


@dataclass
class Waiting:
    label: str
    count: int
    url: str
    items: list[tuple[str, str]] = field(default_factory=list)  # (title, link)


# Other apps' parts of 等待我处理 (the inbox's messages, the moderation queue): functions of the
# user that give a Waiting, or None when the part is not for this user. Registered from the
# apps' ready() so that this module imports none of them.
WAITING: list[Callable[..., "Waiting | None"]] = []


def register_waiting(provider: Callable[..., "Waiting | None"]) -> None:
    if provider not in WAITING:
        WAITING.append(provider)


def week_start(today: date) -> date:
    return today - timedelta(days=today.weekday())


def edits_pages(user) -> bool:
    return PagePermissionPolicy().user_has_any_permission(user, {"add", "change", "publish"})


def works_on_content(user) -> bool:
    """Editors and the reviewers of any review step (who may hold no page permission)."""
    return edits_pages(user) or (
        GroupApprovalTask.objects.filter(active=True, groups__in=user.groups.all()).exists()
    )


def reviews_for(user) -> Waiting | None:
    states = (
        TaskState.objects.reviewable_by(user)
        .filter(status=TaskState.STATUS_IN_PROGRESS)
        .select_related("workflow_state", "task")
        .order_by("-started_at")
    )
    count = states.count()
    if not count and not works_on_content(user):
        return None
    items = []
    for state in states[:REVIEWS]:
        page = state.workflow_state.content_object
        if isinstance(page, Page):
            items.append((f"{page.get_admin_display_title()} · {state.task.name}", _edit_url(page)))
    return Waiting(
        "待我审核的稿件", count, reverse("wagtailadmin_home") + "#awaiting-review-section", items
    )


def bindings_for(user) -> Waiting | None:
    if not user.has_perm("audience.change_bindingrequest"):
        return None
    pending = visible(user, BindingRequest).filter(state=BindingRequest.State.PENDING)
    return Waiting("待处理的绑定申请", pending.count(), reverse("audience_binding_requests"))


def _edit_url(page: Page) -> str:
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


def reading(today: date) -> dict[str, int]:
    rows = DailyPageStats.objects.filter(day__gte=week_start(today))
    return {
        "today": rows.filter(day=today).aggregate(n=Sum("reads"))["n"] or 0,
        "week": rows.aggregate(n=Sum("reads"))["n"] or 0,
    }


def new_followers(user, today: date) -> dict[str, int] | None:
    if not user.has_perm("audience.view_follower"):
        return None
    start = timezone.make_aware(
        timezone.datetime.combine(week_start(today), timezone.datetime.min.time())
    )
    midnight = timezone.make_aware(timezone.datetime.combine(today, timezone.datetime.min.time()))
    seen = visible_followers(user, Follower.objects.filter(subscribed_at__gte=start))
    return {"today": seen.filter(subscribed_at__gte=midnight).count(), "week": seen.count()}


def top_stories(today: date) -> list[tuple[Page, int]]:
    ranked = (
        DailyPageStats.objects.filter(day__gte=week_start(today))
        .values("page")
        .annotate(reads=Sum("reads"))
        .order_by("-reads", "page")[:TOP_STORIES]
    )
    by_pk = Page.objects.live().in_bulk([row["page"] for row in ranked])
    return [(by_pk[row["page"]], row["reads"]) for row in ranked if row["page"] in by_pk]


def drafts_of(user) -> list[Page]:
    """Pages whose latest change is this user's and is not yet published nor in review."""
    in_review = WorkflowState.objects.active().filter(
        base_content_type=ContentType.objects.get_for_model(Page)
    )
    return list(
        Page.objects.filter(has_unpublished_changes=True, latest_revision__user=user, depth__gt=1)
        .exclude(pk__in=[int(pk) for pk in in_review.values_list("object_id", flat=True)])
        .order_by("-latest_revision_created_at")[:DRAFTS]
    )


class OfficeHomePanel(Component):
    name = "office_home"
    template_name = "analytics/office_home.html"
    order = 50  # above Wagtail's own panels

    def __init__(self, request) -> None:
        self.request = request

    def get_context_data(self, parent_context=None) -> dict:
        user = self.request.user
        today = timezone.localdate()
        parts = (reviews_for(user), bindings_for(user), *(provider(user) for provider in WAITING))
        waiting = [w for w in parts if w is not None]
        editor = works_on_content(user)
        followers = new_followers(user, today)
        return {
            "shown": bool(waiting or editor or followers is not None),
            "waiting": waiting,
            "editor": editor,
            "reading": reading(today) if editor else None,
            "followers": followers,
            "top_stories": [(p, n, _edit_url(p)) for p, n in top_stories(today)] if editor else [],
            "writer": edits_pages(user),
            "drafts": [(p, _edit_url(p)) for p in drafts_of(user)] if editor else [],
        }
