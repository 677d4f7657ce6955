"""The daily roll-up: raw events and counters into the aggregates dashboards read.

Rolling a day replaces that day's aggregate rows with ones computed afresh from the raw rows
(in one transaction), so re-running a day gives the same numbers and a late event is picked
up by the next run. Raw rows (ActivityEvent, DailyVisitor) of days rolled up and older than
ANALYTICS_RAW_DAYS are then pruned; the aggregates are kept.

Reads inside WeChat and shares come with the reads (DailyPageStats), reads by signed-in
members per branch from DailyBranchReads (into DailyActivity, kind "read"), comments from
voices.

Following and unfollowing are taken from the followers' own dates (audience), which the
callback already writes on its hot path: the last follow and unfollow of each follower.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count, Min, Q, Sum
from django.utils import timezone
from wagtail.models import Page

from weizhi.analytics.models import (
    ActivityEvent,
    ActivityKind,
    DailyActivity,
    DailyAudience,
    DailyBranchReads,
    DailyPageStats,
    DailyPageSummary,
    DailyVisitor,
    Like,
    MonthlyActivity,
    MonthlyPageSummary,
    RolledDay,
)
from weizhi.audience.models import Follower, Member
from weizhi.core.taskqueue import task
from weizhi.voices.models import Comment

# How far back the first roll-up looks for raw rows that were never rolled.
FIRST_ROLLUP_DAYS = 400
# Days before today rolled again on every run, for raw rows that arrive late.
LATE_DAYS = 2


def bounds(day: date) -> tuple[datetime, datetime]:
    """The start of day and of the next day, in the site's time zone."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)


def roll_day(day: date) -> None:
    """Recompute every aggregate of one day from the raw rows."""
    with transaction.atomic():
        # One roll-up of a day at a time: a second run (a slow first run, two workers) waits
        # for the first and then rebuilds the same numbers instead of adding rows beside them.
        RolledDay.objects.get_or_create(day=day)
        list(RolledDay.objects.select_for_update().filter(day=day))
        _roll_pages(day)
        _roll_activity(day)
        _roll_audience(day)
        roll_month(day.replace(day=1))
        RolledDay.objects.update_or_create(day=day)


def month_end(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def roll_month(first: date) -> None:
    """Rebuild one month's monthly aggregates from its daily ones (first: the month's first
    day). Called for the month of every day rolled, and by whatever writes daily aggregates
    itself (the demo)."""
    days = {"day__gte": first, "day__lte": month_end(first)}
    for daily, monthly, group, measures in MONTHLY_SUMS:
        monthly.objects.filter(month=first).delete()
        monthly.objects.bulk_create(
            [
                monthly(month=first, **r)
                for r in daily.objects.filter(**days)
                .values(*group)
                .annotate(**{m: Sum(m) for m in measures})
                .order_by(*group)
            ],
            batch_size=500,
        )


def roll_months(start: date, end: date) -> None:
    """roll_month for every month from start's to end's."""
    first = start.replace(day=1)
    while first <= end:
        roll_month(first)
        first = month_end(first) + timedelta(days=1)


# Each daily aggregate, its monthly one, what a month's rows are grouped by and what is summed.
MONTHLY_SUMS = (
    (
        DailyPageSummary,
        MonthlyPageSummary,
        ("page_id", "column_id"),
        ("reads", "visitors", "likes", "wechat_reads", "shares", "comments"),
    ),
    (
        DailyActivity,
        MonthlyActivity,
        ("kind", "branch_id"),
        ("events", "people", "value_sum", "value_count"),
    ),
)


def _roll_pages(day: date) -> None:
    start, end = bounds(day)
    counted = {
        p: (n, w, s)
        for p, n, w, s in DailyPageStats.objects.filter(day=day).values_list(
            "page_id", "reads", "wechat_reads", "shares"
        )
    }
    visitors = dict(
        DailyVisitor.objects.filter(day=day)
        .values("page_id")
        .annotate(n=Count("pk"))
        .values_list("page_id", "n")
    )
    likes = dict(
        Like.objects.filter(created_at__gte=start, created_at__lt=end)
        .values("page_id")
        .annotate(n=Count("pk"))
        .values_list("page_id", "n")
    )
    # Comments written that day and not deleted (pending, approved or rejected alike: what
    # readers said, not what was shown).
    comments = dict(
        Comment.objects.filter(created_at__gte=start, created_at__lt=end, deleted_at=None)
        .order_by()
        .values("page_id")
        .annotate(n=Count("pk"))
        .values_list("page_id", "n")
    )
    pages = set(counted) | set(visitors) | set(likes) | set(comments)
    columns = columns_of(pages)
    DailyPageSummary.objects.filter(day=day).delete()
    DailyPageSummary.objects.bulk_create(
        [
            DailyPageSummary(
                day=day,
                page_id=p,
                column_id=columns.get(p),
                reads=counted.get(p, (0, 0, 0))[0],
                wechat_reads=counted.get(p, (0, 0, 0))[1],
                shares=counted.get(p, (0, 0, 0))[2],
                visitors=visitors.get(p, 0),
                likes=likes.get(p, 0),
                comments=comments.get(p, 0),
            )
            for p in sorted(pages)
            if p in columns
        ],
        batch_size=500,
    )


def columns_of(page_ids: set[int]) -> dict[int, int | None]:
    """Each existing page's column (its parent, when that is a 栏目), or None."""
    paths = dict(Page.objects.filter(pk__in=page_ids).values_list("pk", "path"))
    column_type = ContentType.objects.filter(app_label="content", model="columnpage").first()
    parents = dict(
        Page.objects.filter(
            path__in={path[: -Page.steplen] for path in paths.values()},
            content_type=column_type,
        ).values_list("path", "pk")
    )
    return {pk: parents.get(path[: -Page.steplen]) for pk, path in paths.items()}


def _roll_activity(day: date) -> None:
    rows = (
        ActivityEvent.objects.filter(day=day)
        .exclude(kind__in=FOLLOW_KINDS)
        .values("kind", "branch_id")
        .annotate(
            events=Count("pk"),
            members=Count("member_id", distinct=True),
            followers=Count("follower_id", distinct=True, filter=Q(member_id__isnull=True)),
            value_sum=Sum("value"),
            value_count=Count("value"),
        )
    )
    aggregates = [
        DailyActivity(
            day=day,
            kind=r["kind"],
            branch_id=r["branch_id"],
            events=r["events"],
            people=r["members"] + r["followers"],
            value_sum=r["value_sum"] or 0,
            value_count=r["value_count"],
        )
        for r in rows
    ]
    start, end = bounds(day)
    for kind, field in (
        (ActivityKind.SUBSCRIBE, "subscribed_at"),
        (ActivityKind.UNSUBSCRIBE, "unsubscribed_at"),
    ):
        follows = (
            Follower.objects.filter(
                simulated=False, **{f"{field}__gte": start, f"{field}__lt": end}
            )
            .values("member__branch_id")
            .annotate(n=Count("pk"))
        )
        aggregates += [
            DailyActivity(
                day=day, kind=kind, branch_id=f["member__branch_id"], events=f["n"], people=f["n"]
            )
            for f in follows
        ]
    # Reads by signed-in members, per branch (who they were is not kept: no people).
    aggregates += [
        DailyActivity(day=day, kind=ActivityKind.READ, branch_id=r["branch_id"], events=r["n"])
        for r in DailyBranchReads.objects.filter(day=day)
        .values("branch_id")
        .annotate(n=Sum("reads"))
        .order_by("branch_id")
    ]
    DailyActivity.objects.filter(day=day).delete()
    DailyActivity.objects.bulk_create(aggregates, batch_size=500)


FOLLOW_KINDS = (ActivityKind.SUBSCRIBE, ActivityKind.UNSUBSCRIBE)


def _roll_audience(day: date) -> None:
    _start, end = bounds(day)
    following = (
        Follower.objects.filter(simulated=False)
        .filter(Q(subscribed_at__lt=end) | Q(subscribed_at__isnull=True, subscribed=True))
        .filter(Q(subscribed=True) | Q(unsubscribed_at__gte=end))
    )
    counts = following.aggregate(n=Count("pk"), bound=Count("pk", filter=Q(member__isnull=False)))
    members = (
        Member.objects.filter(created_at__lt=end)
        .filter(Q(active=True) | Q(left_on__gt=day))
        .count()
    )
    DailyAudience.objects.update_or_create(
        day=day,
        defaults={"followers": counts["n"], "bound": counts["bound"], "members": members},
    )


def prune(today: date | None = None) -> tuple[int, int]:
    """Delete raw rows of rolled-up days older than ANALYTICS_RAW_DAYS; (events, visitors).
    Reads by branch go with the visitors."""
    today = today or timezone.localdate()
    cutoff = today - timedelta(days=settings.ANALYTICS_RAW_DAYS)
    rolled = RolledDay.objects.filter(day__lt=cutoff).values("day")
    events, _ = ActivityEvent.objects.filter(day__lt=cutoff, day__in=rolled).delete()
    visitors, _ = DailyVisitor.objects.filter(day__lt=cutoff, day__in=rolled).delete()
    DailyBranchReads.objects.filter(day__lt=cutoff, day__in=rolled).delete()
    return events, visitors


def days_to_roll(today: date) -> list[date]:
    """From the last day rolled (again: late events and reads) to today, and never fewer than
    the LATE_DAYS before today: a read counted or an event recorded late (a journal replayed
    after a crash, a counter flush that waited for the roll-up's lock, an event dated when
    it happened) still reaches its day once that day has been rolled. The first time, from
    the oldest raw row within FIRST_ROLLUP_DAYS."""
    last = RolledDay.objects.order_by("-day").values_list("day", flat=True).first()
    if last is not None:
        last = min(last, today - timedelta(days=LATE_DAYS))
    if last is None:
        floor = today - timedelta(days=FIRST_ROLLUP_DAYS)
        oldest = [
            ActivityEvent.objects.filter(day__gte=floor).aggregate(d=Min("day"))["d"],
            DailyPageStats.objects.filter(day__gte=floor).aggregate(d=Min("day"))["d"],
        ]
        last = min([d for d in oldest if d is not None], default=today)
    return [last + timedelta(days=i) for i in range((today - last).days + 1)]


@task()
def roll_up() -> int:
    """The periodic job: roll the days not final yet, then prune; returns the days rolled."""
    days = days_to_roll(timezone.localdate())
    for day in days:
        roll_day(day)
    prune()
    return len(days)
