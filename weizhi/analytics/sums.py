"""Sums over a period from the aggregates: the days from the daily tables, the whole calendar
months inside a long period from the monthly ones (rollup.roll_month keeps each month equal
to the sum of its days).

A year of 300 articles is 110,000 daily rows, which SQLite sums in about 60 ms a query; the
same year is eleven months of 300 rows and two stretches of days at its ends. Periods of a
month or less (MONTHS_FROM) read only days.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Model, Q, Sum

from weizhi.analytics.models import (
    DailyActivity,
    DailyPageSummary,
    MonthlyActivity,
    MonthlyPageSummary,
)

# A period longer than this many days reads its whole months from the monthly tables.
MONTHS_FROM = 32
MONTHLY = {DailyPageSummary: MonthlyPageSummary, DailyActivity: MonthlyActivity}


def split(start: date, end: date) -> tuple[list[tuple[date, date]], tuple[date, date] | None]:
    """The day ranges at the two ends of [start, end], and the first days of its first whole
    month and of the month after its last whole month (None when it holds no whole month)."""
    first = start if start.day == 1 else (start.replace(day=1) + timedelta(days=32)).replace(day=1)
    after = (end + timedelta(days=1)).replace(day=1)
    if first >= after:
        return [(start, end)], None
    days = []
    if start < first:
        days.append((start, first - timedelta(days=1)))
    if after <= end:
        days.append((after, end))
    return days, (first, after)


def summed(
    daily: type[Model],
    start: date,
    end: date,
    group: tuple[str, ...],
    measures: dict[str, str],
    where: Q | None = None,
    months: bool = True,
) -> list[dict]:
    """{group fields…, measure: sum} per group over [start, end] of a daily aggregate model
    (DailyPageSummary or DailyActivity), rows that match `where`. Grouping by "day" gives a
    whole month's sum on its first day. months=False reads days only (a series drawn by day)."""
    where = where if where is not None else Q()
    if months and (end - start).days + 1 >= MONTHS_FROM:
        days, whole = split(start, end)
    else:
        days, whole = [(start, end)], None
    sums = {out: Sum(field) for out, field in measures.items()}
    parts = [
        daily.objects.filter(where, day__gte=a, day__lte=b).values(*group).annotate(**sums)
        for a, b in days
    ]
    if whole is not None:
        by_month = tuple("month" if g == "day" else g for g in group)
        parts.append(
            MONTHLY[daily]
            .objects.filter(where, month__gte=whole[0], month__lt=whole[1])
            .values(*by_month)
            .annotate(**sums)
        )
    out: dict[tuple, dict] = {}
    for part in parts:
        for r in part.order_by():
            if "month" in r and "day" in group:
                r["day"] = r.pop("month")
            key = tuple(r[g] for g in group)
            row = out.setdefault(key, {**{g: r[g] for g in group}, **dict.fromkeys(measures, 0)})
            for m in measures:
                row[m] += r[m] or 0
    return list(out.values())
