#!/usr/bin/env python3
"""A year of raw events rolled up day by day, and each 数据统计 dashboard's server time.

    .venv/bin/python bench/dashboard.py [--days 365] [--reads-per-day 27400] [--members 20000]
    DATABASE_URL=postgres://… .venv/bin/python bench/dashboard.py   # the same on PostgreSQL

A throw-away instance in a temp dir (SQLite in WAL mode, unless DATABASE_URL names a
PostgreSQL database, which should be a scratch one) gets a tree of 40 branches under 4 党总支,
``--members`` roster members (most of them following the account, from a day in the year),
``--pages`` articles and a 支部书记. Then, day by day for ``--days`` days, the raw rows that
the product writes are generated as it writes them — the read counters' day rows
(``--reads-per-day`` reads: 27,400 × 365 = 10 million over a year, inside WeChat or not,
shares), one visitor row per read (each read a different visitor: the most the roll-up can
meet), reads by signed-in members per branch, likes, and ``--events-per-day`` activity
events (quiz scores, readings, notes, comments, surveys, check-ins) — and the day is rolled
up and the raw rows older than ANALYTICS_RAW_DAYS pruned, as the periodic job does; both
are timed. The aggregates are then checked against what was generated (every read, visitor,
like and event counted once). Last, each dashboard page is requested over the year through
Django's test client — the form, the queries, the charts and the admin page, as a browser
gets it — five times for the office and five times for the 支部书记 (their subtree); the
median counts (the target is under 200 ms).
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
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KINDS = ["quiz", "reading", "note", "comment", "survey", "checkin"]


def setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["WEIZHI_VAR_DIR"] = tempfile.mkdtemp(prefix="wz-bench-dashboard-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weizhi.settings")
    os.environ.setdefault("SECRET_KEY", "bench-dashboard-" + "x" * 50)
    os.environ.setdefault("TASKS_BACKEND", "immediate")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)  # the admin pages' assets


def insert(model, fields: list[str], rows: list[tuple]) -> None:
    """Many rows at once: COPY on PostgreSQL, one executemany on SQLite (the ORM's
    bulk_create would spend more time building objects than the roll-up spends reading)."""
    from django.db import connection

    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(model._meta.get_field(f).column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def db_value(value):
    from django.db import connection

    if connection.vendor == "postgresql":
        return value
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    return value


def seed(args, first_day: date) -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.utils import timezone

    from weizhi.audience.models import Branch, BranchKind, Follower, Member
    from weizhi.content.models import ArticlePage, ColumnPage
    from weizhi.content.site_setup import ensure_site

    rng = random.Random(18)
    tz = timezone.get_current_timezone()
    ensure_site()
    top = Branch.objects.create(name="压测党委", kind=BranchKind.COMMITTEE)
    generals = [
        Branch.objects.create(name=f"压测党总支{g}", kind=BranchKind.GENERAL_BRANCH, parent=top)
        for g in range(4)
    ]
    branches = [
        Branch.objects.create(
            name=f"压测支部{i}", kind=BranchKind.BRANCH, parent=generals[i % len(generals)]
        )
        for i in range(40)
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
        batch_size=2000,
    )
    members = list(Member.objects.values_list("pk", "branch_id"))
    # Members joined the roster over the year; seven in ten follow the account (from a day in
    # the year, one in twenty of them unfollowed later), and as many members of the public.
    joined = [
        (
            db_value(datetime.combine(first_day, clock(9), tz) - timedelta(days=rng.randrange(60))),
            pk,
        )
        for pk, _ in members
    ]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {Member._meta.db_table} SET created_at = %s WHERE id = %s", joined
        )
    followers = []
    span = args.days * 24
    for n in range(int(len(members) * 1.4)):
        member = members[n][0] if n < len(members) * 0.7 else None
        at = datetime.combine(first_day, clock(0), tz) + timedelta(hours=rng.randrange(span))
        gone = at + timedelta(hours=rng.randrange(24, span)) if rng.random() < 0.05 else None
        followers.append(
            Follower(
                openid=f"o-bench-{n}",
                member_id=member,
                subscribed=gone is None,
                subscribed_at=at,
                unsubscribed_at=gone,
                subscribe_scene="ADD_SCENE_QR_CODE",
            )
        )
    Follower.objects.bulk_create(followers, batch_size=2000)
    column = ColumnPage.objects.first()
    for i in range(args.pages):
        column.add_child(instance=ArticlePage(title=f"压测文章{i}", live=True))
    user_model = get_user_model()
    office = user_model.objects.create_superuser("bench", password="x" * 12)
    secretary = user_model.objects.create_user("bench-secretary", password="x" * 12)
    secretary.groups.add(Group.objects.get(name="支部书记"))
    person = Member.objects.create(
        name="压测书记", employee_number="S000001", branch=generals[0], user=secretary
    )
    generals[0].secretaries.add(person)
    return {"office": office, "secretary": secretary, "members": members, "branches": branches}


def generate_and_roll(args, seeded: dict, days: list[date]) -> dict:
    """Each day's raw rows, then that day's roll-up and the prune, as the periodic job runs."""
    from django.db import transaction
    from django.utils import timezone
    from wagtail.models import Page

    from weizhi.analytics.models import (
        ActivityEvent,
        DailyBranchReads,
        DailyPageStats,
        DailyVisitor,
        Like,
    )
    from weizhi.analytics.rollup import prune, roll_day

    rng = random.Random(1)
    tz = timezone.get_current_timezone()
    pages = list(Page.objects.filter(depth__gte=4).order_by("pk").values_list("pk", flat=True))
    weights = [1 / (1 + i) ** 0.8 for i in range(len(pages))]  # a few articles read most
    branch_ids = [b.pk for b in seeded["branches"]]
    members = seeded["members"]
    totals = dict.fromkeys(["reads", "visitors", "likes", "events", "branch_reads"], 0)
    generate_s, roll_ms, prune_ms = 0.0, [], []
    for d, day in enumerate(days):
        started = time.perf_counter()
        noon = datetime.combine(day, clock(12), tz)
        wave = 0.6 if day.weekday() >= 5 else 1.0
        rng.shuffle(weights)
        scale = args.reads_per_day / sum(weights)
        reads = [int(w * scale) for w in weights]
        reads[0] += args.reads_per_day - sum(reads)
        stats, visitors, likes, branch_reads = [], [], [], []
        for page, n in zip(pages, reads, strict=True):
            if not n:
                continue
            stats.append((page, db_value(day), n, int(n * 0.7 * wave), n // 50))
            visitors.extend((page, db_value(day), f"v{r}") for r in range(n))
            likes.extend((page, f"{d}-{r}", db_value(noon)) for r in range(n // 100))
            signed_in = n // 7
            for branch in rng.sample(branch_ids, 3):
                branch_reads.append((page, db_value(day), branch, signed_in // 3))
        events = []
        for i in range(args.events_per_day):
            member, branch = members[rng.randrange(len(members))]
            kind = KINDS[i % len(KINDS)]
            value = float(rng.randrange(40, 101)) if kind == "quiz" else None
            events.append((kind, db_value(day), db_value(noon), member, branch, f"b{d}-{i}", value))
        with transaction.atomic():
            insert(DailyPageStats, ["page", "day", "reads", "wechat_reads", "shares"], stats)
            insert(DailyVisitor, ["page", "day", "reader"], visitors)
            insert(Like, ["page", "reader", "created_at"], likes)
            insert(DailyBranchReads, ["page", "day", "branch", "reads"], branch_reads)
            insert(
                ActivityEvent,
                ["kind", "day", "at", "member", "branch", "key", "value"],
                events,
            )
        generate_s += time.perf_counter() - started
        totals["reads"] += sum(reads)
        totals["visitors"] += len(visitors)
        totals["likes"] += len(likes)
        totals["events"] += len(events)
        totals["branch_reads"] += sum(r[3] for r in branch_reads)

        started = time.perf_counter()
        roll_day(day)
        roll_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        prune(day + timedelta(days=1))
        prune_ms.append((time.perf_counter() - started) * 1000)
        if (d + 1) % 60 == 0:
            print(f"  {d + 1} 天：累计 {totals['reads']:,} 次阅读", file=sys.stderr)
    return {
        "generated": totals,
        "generate_s": round(generate_s, 1),
        "rollup_day_ms": spread(roll_ms),
        "prune_day_ms": spread(prune_ms),
    }


def spread(values: list[float]) -> dict:
    values = sorted(values)
    return {
        "median": round(statistics.median(values), 1),
        "p95": round(values[int(len(values) * 0.95)], 1),
        "max": round(values[-1], 1),
    }


def check(totals: dict) -> dict:
    """The aggregates hold every generated read, visitor, like and event exactly once."""
    from django.db.models import Sum

    from weizhi.analytics.models import DailyActivity, DailyPageSummary

    summed = DailyPageSummary.objects.aggregate(
        reads=Sum("reads"), visitors=Sum("visitors"), likes=Sum("likes")
    )
    events = DailyActivity.objects.filter(kind__in=KINDS).aggregate(n=Sum("events"))["n"]
    branch_reads = DailyActivity.objects.filter(kind="read").aggregate(n=Sum("events"))["n"]
    found = {**summed, "events": events, "branch_reads": branch_reads}
    wrong = {k: (found[k], totals[k]) for k in found if found[k] != totals[k]}
    if wrong:
        raise SystemExit(f"汇总与原始数据不符（汇总, 原始）：{wrong}")
    return {"aggregates_match_raw": True}


def time_dashboards(seeded: dict) -> dict:
    from django.test import Client

    from weizhi.analytics.dashboards import DASHBOARDS

    out = {}
    for who in ("office", "secretary"):
        client = Client()
        client.force_login(seeded[who])
        for name in DASHBOARDS:
            url = f"/admin/measure/{name}/?days=365"
            times = []
            for _ in range(5):
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"{url} 返回 {response.status_code}（{who}）")
            out[f"{who}_{name}_ms"] = round(statistics.median(times), 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--reads-per-day", type=int, default=27400)
    parser.add_argument("--events-per-day", type=int, default=4000)
    parser.add_argument("--members", type=int, default=20000)
    parser.add_argument("--pages", type=int, default=300)
    args = parser.parse_args()
    setup()
    from django.db import connection
    from django.utils import timezone

    from weizhi.analytics import wechat_stats

    today = timezone.localdate()
    days = [today - timedelta(days=i) for i in range(args.days - 1, -1, -1)]
    result = {"database": connection.vendor, **vars(args)}
    started = time.perf_counter()
    seeded = seed(args, days[0])
    result["seed_s"] = round(time.perf_counter() - started, 1)
    result |= generate_and_roll(args, seeded, days)
    result |= check(result["generated"])
    wechat_stats.load_demo(today, args.days)  # WeChat's own numbers beside ours
    result |= time_dashboards(seeded)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    slowest = max(v for k, v in result.items() if k.endswith("_ms") and not isinstance(v, dict))
    print(
        f"{args.days} 天共 {result['generated']['reads']:,} 次阅读、"
        f"{result['generated']['events']:,} 条活动事件；每天汇总中位 "
        f"{result['rollup_day_ms']['median']} ms（最慢 {result['rollup_day_ms']['max']} ms）；"
        f"最慢的统计页 {slowest} ms（目标 200 ms）"
    )
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / f"dashboard-{datetime.now():%Y%m%d-%H%M%S}.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main()
