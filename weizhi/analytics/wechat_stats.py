"""WeChat's own statistics beside ours: storing a pulled day, and the dashboard tables.

The wechat app pulls WeChat's datacube interfaces daily and hands the rows to store(); the
dashboards add the tables below to 总览 and 内容. WeChat's numbers are the whole Official
Account's: they have no branch, so they are shown only to users who see every unit and only
when no unit is chosen (like our own follower totals).
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Q, Sum
from wagtail.models import Page

from weizhi.analytics.models import (
    DailyAudience,
    DailyPageSummary,
    WeChatDaily,
    WeChatFamily,
    WeChatPulledDay,
)
from weizhi.analytics.sums import summed

NUMBERS = (
    "new_user",
    "cancel_user",
    "cumulate_user",
    "read_user",
    "read_count",
    "share_user",
    "share_count",
    "fav_user",
    "fav_count",
    "msg_user",
    "msg_count",
)
ALL_SOURCES = "99999999"  # getuserread's "every channel" row


def store(family: str, days: list[date], rows: list[dict]) -> int:
    """Make the family's rows of `days` exactly `rows` (dicts of day, key and numbers): rows
    are upserted on (day, family, key) and those no longer reported deleted, so pulling a
    day again gives the same rows. Returns the number of rows kept."""
    objects = [WeChatDaily(family=family, **row) for row in rows]
    with transaction.atomic():
        stale = WeChatDaily.objects.filter(family=family, day__in=days)
        keep = {(o.day, o.key) for o in objects}
        stale_pks = [pk for pk, d, k in stale.values_list("pk", "day", "key") if (d, k) not in keep]
        WeChatDaily.objects.filter(pk__in=stale_pks).delete()
        WeChatDaily.objects.bulk_create(
            objects,
            update_conflicts=True,
            unique_fields=["day", "family", "key"],
            update_fields=["page", "title", *NUMBERS],
            batch_size=500,
        )
    return len(objects)


def mark_pulled(days: list[date]) -> None:
    for day in days:
        WeChatPulledDay.objects.update_or_create(day=day)


def pulled_days(since: date) -> set[date]:
    return set(WeChatPulledDay.objects.filter(day__gte=since).values_list("day", flat=True))


def _family(family: str, period):
    return WeChatDaily.objects.filter(family=family, day__gte=period.start, day__lte=period.end)


def overview_tables(period, buckets: list[tuple[str, date, date]]) -> list[dict]:
    """总览: followers as we count them and as WeChat does, and reads per day both ways
    (the fields of a dashboards.Table each; none before WeChat's numbers exist)."""
    theirs = dict(_family(WeChatFamily.CUMULATE, period).values_list("day", "cumulate_user"))
    if not theirs:
        return []
    ours = dict(
        DailyAudience.objects.filter(day__gte=period.start, day__lte=period.end).values_list(
            "day", "followers"
        )
    )
    rows = []
    for label, _a, b in buckets:
        rows.append([label, _last(ours, b), _last(theirs, b)])
    followers = dict(
        title="关注者（我们统计与微信统计）",
        head=["日期", "我们统计", "微信统计"],
        rows=rows,
        chart="paired",
        note="微信统计为公众号全部关注者（getusercumulate），我们统计为本系统记录的关注者。",
    )
    our_reads = {
        r["day"]: r["n"]
        for r in summed(DailyPageSummary, period.start, period.end, ("day",), {"n": "reads"})
    }
    wechat_reads = dict(
        _family(WeChatFamily.READ, period)
        .filter(key=ALL_SOURCES)
        .values("day")
        .annotate(n=Sum("read_count"))
        .values_list("day", "n")
    )
    read_rows = [
        [label, _sum(our_reads, a, b), _sum(wechat_reads, a, b)] for label, a, b in buckets
    ]
    reads = dict(
        title="阅读量（我们统计与微信统计）",
        head=["日期", "我们统计", "微信统计"],
        rows=read_rows,
        chart="paired",
        note="微信统计为公众号图文页阅读次数（getuserread，全部渠道）。",
    )
    return [followers, reads]


def content_tables(period) -> list[dict]:
    """内容: per article sent to WeChat, WeChat's reads and shares beside ours."""
    theirs = list(
        _family(WeChatFamily.ARTICLE, period)
        .values("page_id")
        .annotate(r=Sum("read_count"), u=Sum("read_user"), s=Sum("share_count"), f=Sum("fav_count"))
        .order_by("-r")[:50]
    )
    if not theirs:
        return []
    ids = [t["page_id"] for t in theirs if t["page_id"]]
    titles = dict(Page.objects.filter(pk__in=ids).values_list("pk", "title"))
    ours = {
        r["page_id"]: r
        for r in summed(
            DailyPageSummary,
            period.start,
            period.end,
            ("page_id",),
            {"n": "reads", "uv": "visitors"},
            Q(page_id__in=ids),
        )
    }
    rows = []
    for t in theirs:
        mine = ours.get(t["page_id"], {}) if t["page_id"] else {}
        title = titles.get(t["page_id"]) or "（其他文章合计：不是本系统发送的）"
        rows.append([title, mine.get("n", 0), mine.get("uv", 0), t["r"], t["u"], t["s"], t["f"]])
    return [
        dict(
            title="公众号文章（我们统计与微信统计）",
            head=[
                "文章",
                "我们统计阅读量",
                "我们统计访客数",
                "微信阅读次数",
                "微信阅读人数",
                "微信分享次数",
                "微信收藏次数",
            ],
            rows=rows,
            chart="",
            note="微信统计来自 getarticlesummary，只含群发与发布到公众号的文章。",
        )
    ]


def _last(by_day: dict, end: date) -> int:
    last = max((d for d in by_day if d <= end), default=None)
    return by_day[last] if last is not None else 0


def _sum(by_day: dict, a: date, b: date) -> int:
    return sum(n or 0 for d, n in by_day.items() if a <= d <= b)


def load_demo(today: date, days: int = 365) -> int:
    """Made-up WeChat numbers for the demo, beside the demo's own aggregates: followers a
    little above ours (WeChat also counts followers from before this system), reads a share
    of ours, per article for the articles that have reads. Days are not marked pulled, so a
    real account's pull replaces them. Days that hold WeChat numbers are kept; returns the
    days filled."""
    import random
    from datetime import timedelta

    rng = random.Random(1818)  # noqa: S311 (demo data, the same on every run)
    span = [today - timedelta(days=i) for i in range(days, 0, -1)]
    done = set(
        WeChatDaily.objects.filter(family=WeChatFamily.CUMULATE, day__in=span).values_list(
            "day", flat=True
        )
    )
    audience = dict(DailyAudience.objects.filter(day__in=span).values_list("day", "followers"))
    reads: dict[date, list[tuple[int, int]]] = {}
    for day, page_id, n in DailyPageSummary.objects.filter(day__in=span).values_list(
        "day", "page_id", "reads"
    ):
        reads.setdefault(day, []).append((page_id, n))
    rows = []
    filled = 0
    for day in span:
        if day in done or day not in audience:
            continue
        filled += 1
        rows.append(
            WeChatDaily(
                day=day, family=WeChatFamily.CUMULATE, cumulate_user=int(audience[day] * 1.08) + 40
            )
        )
        total = 0
        for page_id, n in reads.get(day, []):
            theirs = int(n * rng.uniform(0.4, 0.8))
            total += theirs
            rows.append(
                WeChatDaily(
                    day=day,
                    family=WeChatFamily.ARTICLE,
                    key=f"demo{page_id}_1",
                    page_id=page_id,
                    read_user=int(theirs * 0.8),
                    read_count=theirs,
                    share_user=theirs // 12,
                    share_count=theirs // 10,
                    fav_count=theirs // 30,
                )
            )
        rows.append(
            WeChatDaily(day=day, family=WeChatFamily.READ, key=ALL_SOURCES, read_count=total)
        )
    WeChatDaily.objects.bulk_create(rows, batch_size=1000)
    return filled
