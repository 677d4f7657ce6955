"""A year of made-up history for the 数据统计 demo: daily aggregates only (what dashboards
read), drawn from a fixed seed so every chart has something to show. Loading again adds
nothing: days that already hold aggregates are left as they are."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from wagtail.models import Page

from weizhi.analytics import wechat_stats
from weizhi.analytics.models import ActivityKind, DailyActivity, DailyAudience, DailyPageSummary
from weizhi.analytics.rollup import columns_of, roll_months
from weizhi.audience.models import Branch, Member

DAYS = 365
KIND_RATES = {
    ActivityKind.QUIZ: 0.25,
    ActivityKind.SURVEY: 0.03,
    ActivityKind.CHECKIN: 0.02,
    ActivityKind.COMMENT: 0.05,
    ActivityKind.READING: 0.04,
    ActivityKind.NOTE: 0.02,
    ActivityKind.MESSAGE: 0.01,
    ActivityKind.REPLY: 0.01,
}


def load_demo_measure(today: date | None = None) -> int:
    """Fill the year before today; returns the days filled."""
    today = today or timezone.localdate()
    rng = random.Random(18)  # noqa: S311 (demo data, the same on every run)
    days = [today - timedelta(days=i) for i in range(DAYS, 0, -1)]
    done = set(DailyAudience.objects.filter(day__in=days).values_list("day", flat=True))
    todo = [d for d in days if d not in done]
    if not todo:
        return 0
    articles = list(
        Page.objects.live().filter(depth__gte=4).values_list("pk", "first_published_at")
    )
    columns = columns_of({pk for pk, _ in articles})
    articles = [(pk, when) for pk, when in articles if columns.get(pk)]
    branches = list(Branch.objects.values_list("pk", flat=True))
    people = dict.fromkeys(branches, 0)
    for b in Member.objects.filter(active=True).values_list("branch_id", flat=True):
        people[b] += 1
    total_members = max(sum(people.values()), 40)
    with transaction.atomic():
        for n, day in enumerate(days):
            if day not in todo:
                continue
            _fill_day(rng, day, n, articles, columns, branches, people, total_members)
        # The months of the days written (the roll-up builds them for the days it rolls).
        roll_months(min(todo), max(todo))
        wechat_stats.load_demo(today, DAYS)
    return len(todo)


def _fill_day(rng, day, n, articles, columns, branches, people, total_members) -> None:
    growth = n / DAYS
    weekday = 0.6 if day.weekday() >= 5 else 1.0
    followers = int(300 + 900 * growth + rng.randrange(0, 10))
    DailyAudience.objects.create(
        day=day,
        followers=followers,
        members=int(total_members * (0.9 + 0.1 * growth)),
        bound=int(min(followers, total_members) * (0.3 + 0.6 * growth)),
    )
    pages = []
    for i, (pk, _when) in enumerate(articles):
        wave = 1 + math.sin((n + i * 17) / 9)
        reads = int(rng.randrange(5, 60) * wave * weekday)
        pages.append(
            DailyPageSummary(
                day=day,
                page_id=pk,
                column_id=columns[pk],
                reads=reads,
                visitors=int(reads * 0.7),
                likes=reads // 12,
                # Mostly read inside WeChat; a share in 25 reads, a comment in 40.
                wechat_reads=reads * (60 + (i * 7) % 30) // 100,
                shares=reads // 25,
                comments=reads // 40,
            )
        )
    DailyPageSummary.objects.bulk_create(pages)
    rows = []
    for b in branches:
        size = max(people.get(b, 0), 3)
        for kind, rate in KIND_RATES.items():
            events = sum(1 for _ in range(size) if rng.random() < rate * weekday)
            if not events:
                continue
            scores = [rng.randrange(50, 101) for _ in range(events)] if kind == "quiz" else []
            rows.append(
                DailyActivity(
                    day=day,
                    kind=kind,
                    branch_id=b,
                    events=events,
                    people=events,
                    value_sum=sum(scores),
                    value_count=len(scores),
                )
            )
        # Signed-in members' reads: about one a member every other weekday.
        reads = int(size * 0.5 * weekday * (1 + math.sin((n + b) / 7)))
        if reads:
            rows.append(DailyActivity(day=day, kind=ActivityKind.READ, branch_id=b, events=reads))
    DailyActivity.objects.bulk_create(rows)
