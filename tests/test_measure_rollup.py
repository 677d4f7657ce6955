"""The daily roll-up, property-style: random raw events and reads go in, and the aggregates
of every day equal what counting the raw rows gives; a re-run changes nothing; pruning keeps
the aggregates and drops only raw rows of rolled days past ANALYTICS_RAW_DAYS."""

import random
from collections import Counter
from datetime import date, timedelta

import pytest
from django.utils import timezone

from tests.factories import article, column, site_home
from tests.test_audience_support import follower, member, tree
from weizhi.analytics import events
from weizhi.analytics.models import (
    ActivityEvent,
    DailyActivity,
    DailyPageStats,
    DailyPageSummary,
    DailyVisitor,
    Like,
    RolledDay,
)
from weizhi.analytics.rollup import bounds, days_to_roll, prune, roll_day

pytestmark = pytest.mark.django_db

KINDS = ["quiz", "reading", "note", "comment", "survey", "checkin", "message", "reply"]


def scatter(rng: random.Random, days: list[date]) -> None:
    branches = list(tree().values())
    people = [member(rng.choice(branches), f"9{i:03d}") for i in range(12)]
    loners = [follower(f"o-roll-{i}") for i in range(3)]
    for _n in range(400):
        day = rng.choice(days)
        at = bounds(day)[0] + timedelta(seconds=rng.randrange(86400))
        kind = rng.choice(KINDS)
        who = (
            {"follower": rng.choice(loners)}
            if rng.random() < 0.1
            else {"member": rng.choice(people)}
        )
        key = f"k{rng.randrange(300)}" if rng.random() < 0.5 else ""
        value = rng.randrange(0, 101) if kind == "quiz" else None
        events.record(kind, key=key, value=value, at=at, **who)
    site_home()
    home = column()
    pages = [article(home, title=f"文章{i}") for i in range(3)]
    for page in pages:
        for day in days:
            DailyPageStats.objects.create(page=page, day=day, reads=rng.randrange(0, 500))
            for r in range(rng.randrange(0, 6)):
                DailyVisitor.objects.create(page=page, day=day, reader=f"r{r}")
        for r in range(rng.randrange(0, 4)):
            like = Like.objects.create(page=page, reader=f"l{r}")
            Like.objects.filter(pk=like.pk).update(created_at=bounds(rng.choice(days))[0])


def activity_of_raw(day: date) -> dict:
    raw = ActivityEvent.objects.filter(day=day)
    counts = Counter((e.kind, e.branch_id) for e in raw)
    people: dict = {}
    sums: Counter = Counter()
    for e in raw:
        people.setdefault((e.kind, e.branch_id), set()).add(
            ("m", e.member_id) if e.member_id else ("f", e.follower_id)
        )
        if e.value is not None:
            sums[(e.kind, e.branch_id)] += e.value
    return {k: (n, len(people[k]), sums[k]) for k, n in counts.items()}


def activity_of_aggregates(day: date) -> dict:
    return {
        (a.kind, a.branch_id): (a.events, a.people, a.value_sum)
        for a in DailyActivity.objects.filter(day=day).exclude(
            kind__in=["subscribe", "unsubscribe"]
        )
    }


def pages_of_aggregates(day: date) -> dict:
    return {
        s.page_id: (s.reads, s.visitors, s.likes, s.column_id)
        for s in DailyPageSummary.objects.filter(day=day)
    }


def pages_of_raw(day: date) -> dict:
    start, end = bounds(day)
    out = {}
    for stats in DailyPageStats.objects.filter(day=day).select_related("page"):
        out[stats.page_id] = (
            stats.reads,
            DailyVisitor.objects.filter(page_id=stats.page_id, day=day).count(),
            Like.objects.filter(
                page_id=stats.page_id, created_at__gte=start, created_at__lt=end
            ).count(),
            stats.page.get_parent().pk,
        )
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_aggregates_equal_the_raw_rows_and_a_rerun_changes_nothing(seed):
    rng = random.Random(seed)
    today = timezone.localdate()
    days = [today - timedelta(days=i) for i in range(5)]
    scatter(rng, days)
    for day in days:
        roll_day(day)
    first = {day: (activity_of_aggregates(day), pages_of_aggregates(day)) for day in days}
    for day in days:
        assert first[day] == (activity_of_raw(day), pages_of_raw(day))
    total = sum(
        a.events for a in DailyActivity.objects.exclude(kind__in=["subscribe", "unsubscribe"])
    )
    assert total == ActivityEvent.objects.count()
    for day in reversed(days):
        roll_day(day)
    assert {day: (activity_of_aggregates(day), pages_of_aggregates(day)) for day in days} == first


def test_a_late_event_is_in_the_next_rollup_of_its_day():
    someone = member(tree()["first"], "8001")
    today = timezone.localdate()
    events.record("note", member=someone, key="note:1")
    roll_day(today)
    events.record("note", member=someone, key="note:2")
    roll_day(today)
    row = DailyActivity.objects.get(kind="note")
    assert (row.events, row.people, row.branch_id) == (2, 1, someone.branch_id)


def test_follows_and_unfollows_are_counted_from_the_followers_dates():
    today = timezone.localdate()
    a, b = follower("o-f-a"), follower("o-f-b")
    now = timezone.now()
    type(a).objects.filter(pk__in=[a.pk, b.pk]).update(subscribed_at=now)
    type(a).objects.filter(pk=b.pk).update(subscribed=False, unsubscribed_at=now)
    # A follower of the 公众号模拟器 is a test, not an audience.
    played = follower("o-sim")
    type(a).objects.filter(pk=played.pk).update(simulated=True, subscribed_at=now)
    roll_day(today)
    counts = dict(DailyActivity.objects.filter(day=today).values_list("kind", "events"))
    assert counts == {"subscribe": 2, "unsubscribe": 1}


def test_pruning_drops_only_old_raw_rows_of_rolled_days_and_keeps_the_aggregates(settings):
    settings.ANALYTICS_RAW_DAYS = 3
    rng = random.Random(7)
    today = timezone.localdate()
    days = [today - timedelta(days=i) for i in range(6)]
    scatter(rng, days)
    for day in days[1:]:  # the oldest days rolled, today not yet
        roll_day(day)
    old_unrolled = today - timedelta(days=10)
    ActivityEvent.objects.create(kind="note", day=old_unrolled, at=bounds(old_unrolled)[0])
    before = {day: (activity_of_aggregates(day), pages_of_aggregates(day)) for day in days}
    prune(today)
    cutoff = today - timedelta(days=3)
    assert not ActivityEvent.objects.filter(day__lt=cutoff).exclude(day=old_unrolled).exists()
    assert not DailyVisitor.objects.filter(day__lt=cutoff).exists()
    assert ActivityEvent.objects.filter(day=old_unrolled).exists()
    assert ActivityEvent.objects.filter(day__gte=cutoff).exists()
    assert {day: (activity_of_aggregates(day), pages_of_aggregates(day)) for day in days} == before


def test_the_job_rolls_from_the_last_rolled_day_to_today():
    today = timezone.localdate()
    assert days_to_roll(today) == [today]
    RolledDay.objects.create(day=today - timedelta(days=2))
    assert days_to_roll(today) == [today - timedelta(days=i) for i in (2, 1, 0)]
    # Rolled up to today, the two days before are rolled again: a read or an event that
    # arrives late still reaches its day.
    RolledDay.objects.create(day=today)
    assert days_to_roll(today) == [today - timedelta(days=i) for i in (2, 1, 0)]


def test_split_reads_whole_months_and_the_days_at_both_ends():
    from weizhi.analytics.sums import split

    d = date
    assert split(d(2025, 12, 7), d(2026, 12, 6)) == (
        [(d(2025, 12, 7), d(2025, 12, 31)), (d(2026, 12, 1), d(2026, 12, 6))],
        (d(2026, 1, 1), d(2026, 12, 1)),
    )
    # Whole months at both ends: no days.
    assert split(d(2026, 1, 1), d(2026, 3, 31)) == ([], (d(2026, 1, 1), d(2026, 4, 1)))
    # No whole month inside: only days.
    assert split(d(2026, 1, 15), d(2026, 2, 27)) == ([(d(2026, 1, 15), d(2026, 2, 27))], None)
    assert split(d(2026, 2, 1), d(2026, 2, 28)) == ([], (d(2026, 2, 1), d(2026, 3, 1)))


@pytest.mark.parametrize("seed", [4, 5])
def test_sums_over_months_equal_sums_over_their_days(seed):
    """Rolled day by day across three months (and rolled again out of order), the monthly
    aggregates are the sums of their days, and every sum a dashboard asks for over a long
    period is the same read through whole months or through days only."""
    from weizhi.analytics.models import MonthlyActivity, MonthlyPageSummary
    from weizhi.analytics.sums import summed

    rng = random.Random(seed)
    today = timezone.localdate()
    days = [today - timedelta(days=i) for i in range(80)]
    scatter(rng, days)
    for day in reversed(days):
        roll_day(day)
    for day in rng.sample(days, 10):  # late re-runs rebuild their month the same way
        roll_day(day)
    months = {day.replace(day=1) for day in days}
    assert set(MonthlyPageSummary.objects.values_list("month", flat=True)) == months
    for first in months:
        in_month = [d for d in days if d.replace(day=1) == first]
        daily = Counter()
        for s in DailyPageSummary.objects.filter(day__in=in_month):
            daily[s.page_id] += s.reads
        monthly = Counter()
        for s in MonthlyPageSummary.objects.filter(month=first):
            monthly[s.page_id] += s.reads
        assert monthly == daily
        activity = Counter()
        for a in DailyActivity.objects.filter(day__in=in_month):
            activity[(a.kind, a.branch_id)] += a.events
        assert {
            (a.kind, a.branch_id): a.events for a in MonthlyActivity.objects.filter(month=first)
        } == {k: v for k, v in activity.items() if v}
    page_measures = {"n": "reads", "uv": "visitors", "likes": "likes"}
    for _ in range(8):
        start = rng.choice(days[40:])
        end = start + timedelta(days=rng.randrange(32, 79))
        for daily_model, group, measures in (
            (DailyPageSummary, ("page_id",), page_measures),
            (DailyPageSummary, ("column_id",), page_measures),
            (DailyActivity, ("branch_id", "kind"), {"n": "events", "s": "value_sum"}),
        ):
            through_months = summed(daily_model, start, end, group, measures)
            days_only = summed(daily_model, start, end, group, measures, months=False)
            assert sorted(through_months, key=str) == sorted(days_only, key=str)
        by_day = summed(DailyPageSummary, start, end, ("day",), {"n": "reads"})
        assert sum(r["n"] for r in by_day) == sum(
            s.reads for s in DailyPageSummary.objects.filter(day__gte=start, day__lte=end)
        )


def test_a_pages_visitor_total_keeps_the_visitors_of_days_pruned_since(settings):
    from weizhi.analytics.counters import write_batch
    from weizhi.analytics.models import PageStats

    settings.ANALYTICS_RAW_DAYS = 90
    site_home()
    page = article(column(), title="老文章")
    today = timezone.localdate()
    old = today - timedelta(days=100)
    write_batch(Counter({(page.pk, old): 3}), [(page.pk, old, f"r{i}") for i in range(3)])
    roll_day(old)
    prune(today)
    assert not DailyVisitor.objects.filter(page=page).exists()
    write_batch(Counter({(page.pk, today): 1}), [(page.pk, today, "r-new")])
    stats = PageStats.objects.get(page=page)
    assert (stats.reads, stats.visitors) == (4, 4)
