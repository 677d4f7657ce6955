#!/usr/bin/env python3
"""How long the daily roll-up takes for a day of raw rows, and each 数据统计 dashboard's
server time over a year of aggregates.

    .venv/bin/python bench/dashboard.py [--members 20000] [--pages 300] [--reads-per-day 27400]
    DATABASE_URL=postgres://… .venv/bin/python bench/dashboard.py   # the same on PostgreSQL

A throw-away instance in a temp dir (SQLite in WAL mode, unless DATABASE_URL names a
PostgreSQL database, which should be a scratch one) gets a tree of branches, ``--members``
roster members and ``--pages`` articles, then a year of daily aggregates (what 10 million
reads and the activities of those members roll up into). One day of raw rows is added —
``--reads-per-day`` reads spread over the pages with a unique visitor each, and an activity
event for one member in five — and rolled up, timed. Then each dashboard is built for the
whole office over a year, five times; the median counts (the target is under 200 ms).
Results go to bench/out/dashboard-<time>.json.
"""

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def setup(args) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["WEIZHI_VAR_DIR"] = tempfile.mkdtemp(prefix="wz-bench-dashboard-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weizhi.settings")
    os.environ.setdefault("SECRET_KEY", "bench-dashboard-" + "x" * 50)
    os.environ.setdefault("TASKS_BACKEND", "immediate")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def seed(args) -> dict:
    from django.utils import timezone

    from weizhi.analytics.demo import load_demo_measure
    from weizhi.audience.models import Branch, Member
    from weizhi.content.models import ArticlePage, ColumnPage
    from weizhi.content.site_setup import ensure_site

    ensure_site()
    top = Branch.objects.create(name="压测党委", kind="committee")
    branches = [
        Branch.objects.create(name=f"压测支部{i}", kind="branch", parent=top) for i in range(40)
    ]
    Member.objects.bulk_create(
        (
            Member(
                name=f"压测{i}",
                employee_number=f"D{i:06d}",
                branch=branches[i % len(branches)],
                status="full",
            )
            for i in range(args.members)
        ),
        batch_size=1000,
    )
    column = ColumnPage.objects.first()
    for i in range(args.pages):
        column.add_child(instance=ArticlePage(title=f"压测文章{i}", live=True))
    started = time.perf_counter()
    load_demo_measure(timezone.localdate())
    return {"seed_year_s": round(time.perf_counter() - started, 1)}


def roll_one_day(args) -> dict:
    from django.utils import timezone
    from wagtail.models import Page

    from weizhi.analytics import events
    from weizhi.analytics.models import DailyPageStats, DailyVisitor
    from weizhi.analytics.rollup import roll_day
    from weizhi.audience.models import Member

    rng = random.Random(1)
    day = timezone.localdate()
    pages = list(Page.objects.filter(depth__gte=4).values_list("pk", flat=True))
    per_page = args.reads_per_day // len(pages)
    DailyPageStats.objects.bulk_create(
        DailyPageStats(page_id=p, day=day, reads=per_page) for p in pages
    )
    DailyVisitor.objects.bulk_create(
        (
            DailyVisitor(page_id=p, day=day, reader=f"{p}-{r}")
            for p in pages
            for r in range(per_page)
        ),
        batch_size=2000,
    )
    members = list(Member.objects.all()[: args.members // 5])
    for n, m in enumerate(members):
        events.record(rng.choice(["quiz", "survey", "comment"]), member=m, key=f"b{n}", value=80)
    started = time.perf_counter()
    roll_day(day)
    return {
        "rollup_day_s": round(time.perf_counter() - started, 3),
        "raw_reads": per_page * len(pages),
        "raw_events": len(members),
    }


def time_dashboards() -> dict:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from weizhi.analytics.dashboards import DASHBOARDS, Period

    user = get_user_model().objects.create_superuser("bench", password="x" * 12)
    end = timezone.localdate()
    period = Period(end - timedelta(days=364), end)
    out = {}
    for name, (_title, build) in DASHBOARDS.items():
        times = []
        for _ in range(5):
            started = time.perf_counter()
            build(user, period, None)
            times.append((time.perf_counter() - started) * 1000)
        out[f"{name}_ms"] = round(statistics.median(times), 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20000)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--reads-per-day", type=int, default=27400)
    args = parser.parse_args()
    setup(args)
    from django.db import connection

    result = {"database": connection.vendor, **vars(args)}
    result |= seed(args)
    result |= roll_one_day(args)
    result |= time_dashboards()
    print(json.dumps(result, ensure_ascii=False, indent=2))
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / f"dashboard-{datetime.now():%Y%m%d-%H%M%S}.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main()
