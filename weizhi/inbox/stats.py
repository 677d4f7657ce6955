"""The inbox dashboard's numbers, over the items a user may see (scope.visible_items)."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .models import Category, Item, Satisfaction, Status

AGE_BUCKETS = [(1, "1天内"), (3, "1–3天"), (7, "3–7天"), (None, "7天以上")]


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 1)


def dashboard(items: QuerySet[Item], now=None) -> dict:
    now = now or timezone.now()
    open_items = items.exclude(status=Status.RESOLVED)
    ages = Counter()
    for created in open_items.values_list("created_at", flat=True):
        days = (now - created).total_seconds() / 86400
        label = next(lbl for limit, lbl in AGE_BUCKETS if limit is None or days < limit)
        ages[label] += 1
    waits = [
        reply - created
        for created, reply in items.filter(first_reply_at__isnull=False).values_list(
            "created_at", "first_reply_at"
        )
    ]
    rated = Counter(items.exclude(satisfaction="").values_list("satisfaction", flat=True))
    overdue_q = Q(status__in=[Status.NEW, Status.ASSIGNED], due_at__lt=now)
    open_q = ~Q(status=Status.RESOLVED)

    def grouped(field: str) -> list[dict]:
        return list(
            items.values(field)
            .annotate(
                total=Count("pk"),
                open=Count("pk", filter=open_q),
                overdue=Count("pk", filter=overdue_q),
                warn=Count("pk", filter=Q(warn=True)),
            )
            .order_by("-total")
        )

    categories = dict(Category.choices)
    by_category = [
        {**row, "name": categories.get(row["category"], "未分类")} for row in grouped("category")
    ]
    by_department = [
        {**row, "name": row["department__name"] or "未派部门"}
        for row in grouped("department__name")
    ]
    by_branch = [
        {**row, "name": row["branch__name"] or "未派支部"} for row in grouped("branch__name")
    ]
    return {
        "total": items.count(),
        "open": open_items.count(),
        "overdue": items.filter(overdue_q).count(),
        "warnings_open": open_items.filter(warn=True).count(),
        "ages": [(label, ages.get(label, 0)) for _, label in AGE_BUCKETS],
        "median_first_reply_hours": _hours(statistics.median(waits)) if waits else None,
        "satisfaction": [(label, rated.get(value, 0)) for value, label in Satisfaction.choices],
        "rated": sum(rated.values()),
        "by_category": by_category,
        "by_department": by_department,
        "by_branch": by_branch,
    }
