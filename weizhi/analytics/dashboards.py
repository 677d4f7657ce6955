"""The numbers of the 数据统计 dashboards, read only from the daily aggregates.

Each dashboard is a list of Tables; the page draws each table as a chart (core/charts.py)
with the table under it, and the .xlsx export writes the same tables, so the chart, the table
and the export can never disagree. Organisation numbers are scoped with audience.scope: a
支部书记 sees only their subtree; content numbers (public pages) are the office's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q
from django.utils import timezone
from wagtail.models import Page

from weizhi.analytics import wechat_stats
from weizhi.analytics.models import (
    ActivityKind,
    DailyActivity,
    DailyAudience,
    DailyPageSummary,
)
from weizhi.analytics.rollup import bounds
from weizhi.analytics.sums import summed
from weizhi.audience.models import Branch, Follower, Member
from weizhi.audience.scope import visible_branches
from weizhi.core.xlsx import XlsxWriter
from weizhi.inbox.models import Item, Status

PERIODS = {7: "近 7 天", 30: "近 30 天", 90: "近 90 天", 365: "近一年"}
PARTICIPATION = [
    k.value
    for k in (
        ActivityKind.QUIZ,
        ActivityKind.SURVEY,
        ActivityKind.CHECKIN,
        ActivityKind.COMMENT,
        ActivityKind.READING,
        ActivityKind.NOTE,
    )
]
# What 活动参与 counts: what members do, not following, messages or the office's replies.
TAKING_PART = [*PARTICIPATION, ActivityKind.SUBMISSION.value]
TOP = 10


def office_wide(user) -> bool:
    return user.is_superuser or user.has_perm("analytics.view_all_units")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    # The period to compare with, when one was chosen (else the previous one, see compared).
    versus: Period | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} 至 {self.end:%Y-%m-%d}"

    def compared(self) -> Period:
        """The chosen second period, or the one of the same length just before this one."""
        return self.versus or Period(self.start - timedelta(days=self.days), self.start - DAY)


DAY = timedelta(days=1)


@dataclass
class Table:
    """A titled table; chart says how to draw it ("bar": first column labels, `value` the
    column drawn; "stacked": every numeric column; "" for a table only)."""

    title: str
    head: list[str]
    rows: list[list] = field(default_factory=list)
    chart: str = "bar"
    value: int = 1
    note: str = ""
    # The columns drawn side by side by a "grouped" chart.
    series: tuple[int, ...] = ()


def buckets(period: Period, daily: bool | None = None) -> list[tuple[str, date, date]]:
    """Days for a month or less, else calendar months: labels for the time axis. `daily`
    forces one or the other (a comparison period is cut like the period it is set beside)."""
    if period.days <= 31 if daily is None else daily:
        return [
            (f"{d:%m-%d}", d, d)
            for d in (period.start + timedelta(days=i) for i in range(period.days))
        ]
    out, d = [], period.start
    while d <= period.end:
        nxt = (d.replace(day=1) + timedelta(days=32)).replace(day=1)
        last = min(nxt - timedelta(days=1), period.end)
        out.append((f"{d:%Y-%m}", d, last))
        d = nxt
    return out


def _per_bucket(period: Period, by_day: dict[date, int]) -> list[list]:
    return [
        [label, sum(n for day, n in by_day.items() if a <= day <= b)]
        for label, a, b in buckets(period)
    ]


def unit_activity(user, unit: Branch | None) -> Q:
    """Which activity aggregates are the unit's subtree's (and, office-wide only, those of no
    branch): the branches by id, which the aggregates' covering index holds."""
    if unit is not None:
        branches = Branch.objects.filter(path__startswith=unit.path)
    elif office_wide(user):
        return Q()
    else:
        branches = visible_branches(user)
    return Q(branch_id__in=list(branches.values_list("pk", flat=True)))


def _top(rows: list[dict], key: str, n: int | None = None) -> list[dict]:
    """Largest first (ties by their group, so the order is the same on every run)."""
    rows = sorted(rows, key=lambda r: (-r[key], *(str(v) for v in r.values())))
    return rows if n is None else rows[:n]


def _reads_by_day(start: date, end: date, months: bool = True) -> dict[date, int]:
    """Reads per day (a whole month's on its first day, unless months is False)."""
    rows = summed(DailyPageSummary, start, end, ("day",), {"n": "reads"}, months=months)
    return {r["day"]: r["n"] for r in rows}


def overview(user, period: Period, unit: Branch | None) -> list[Table]:
    start, end = period.start, period.end
    tables = []
    if office_wide(user) and unit is None:
        audience = {
            a.day: a
            for a in DailyAudience.objects.filter(day__gte=period.start, day__lte=period.end)
        }
        rows = []
        for label, _a, b in buckets(period):
            last = max((d for d in audience if d <= b), default=None)
            a = audience.get(last)
            rows.append(
                [label, a.followers if a else 0, a.members if a else 0, a.bound if a else 0]
            )
        tables.append(Table("关注者与党员", ["日期", "关注者", "党员", "已绑定"], rows))
        # WeChat's numbers are the whole account's: office-wide users, no unit chosen.
        tables += [Table(**t) for t in wechat_stats.overview_tables(period, buckets(period))]
    reads = _reads_by_day(start, end)
    tables.append(Table("阅读量", ["日期", "阅读量"], _per_bucket(period, reads)))
    per_page = summed(DailyPageSummary, start, end, ("page_id",), {"n": "reads", "uv": "visitors"})
    top = _top(per_page, "n", TOP)
    titles = _titles({r["page_id"] for r in top})
    tables.append(
        Table(
            "热门文章",
            ["文章", "阅读量", "访客数"],
            [[titles.get(r["page_id"], "（已删除）"), r["n"], r["uv"]] for r in top],
        )
    )
    columns = _top(
        summed(
            DailyPageSummary,
            start,
            end,
            ("column_id",),
            {"n": "reads"},
            Q(column__isnull=False),
        ),
        "n",
        TOP,
    )
    names = _titles({r["column_id"] for r in columns})
    tables.append(
        Table(
            "热门栏目",
            ["栏目", "阅读量"],
            [[names.get(r["column_id"], "—"), r["n"]] for r in columns],
        )
    )
    kinds = dict(ActivityKind.choices)
    per_kind = _top(
        summed(
            DailyActivity,
            start,
            end,
            ("kind",),
            {"n": "events", "p": "people"},
            unit_activity(user, unit) & Q(kind__in=TAKING_PART),
        ),
        "n",
    )
    tables.append(
        Table(
            "活动参与",
            ["活动", "次数", "人次"],
            [[kinds[r["kind"]], r["n"], r["p"]] for r in per_kind],
        )
    )
    tables.append(inbox(user, period, unit))
    return tables


def unit_items(user, unit: Branch | None):
    """Inbox items dispatched to a branch of the unit's subtree (all of them office-wide, with
    no unit): the same wall as the inbox's own for a 支部书记 (inbox/scope.py)."""
    items = Item.objects.all()
    if unit is not None:
        return items.filter(branch__path__startswith=unit.path)
    if office_wide(user):
        return items
    q = Q(pk__in=[])
    for path in visible_branches(user).values_list("path", flat=True):
        q |= Q(branch__path__startswith=path)
    return items.filter(q)


def inbox(user, period: Period, unit: Branch | None) -> Table:
    """Open items by status as they stand now, the overdue ones, and early warnings (思想动态
    预警): open now, and raised on items received in the period. Counted live from the inbox,
    whose open items are few (indexed by status)."""
    items = unit_items(user, unit)
    open_items = items.open()
    by_status = dict(
        open_items.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    start, _ = bounds(period.start)
    _, end = bounds(period.end)
    rows = [[label, by_status.get(value, 0)] for value, label in Status.choices[:3]]
    rows += [
        ["超时未办", open_items.overdue().count()],
        ["预警（未办结）", open_items.filter(warn=True).count()],
        [
            "本期新增预警",
            items.filter(warn=True, created_at__gte=start, created_at__lt=end).count(),
        ],
    ]
    # "counts": the rows overlap (a warning is also an open item), so no shares of a total.
    return Table(
        "留言办理与预警",
        ["项目", "件数"],
        rows,
        chart="counts",
        note="未办结件数为当前数，不随时段变化。",
    )


def _titles(page_ids: set[int]) -> dict[int, str]:
    return dict(Page.objects.filter(pk__in=page_ids).values_list("pk", "title"))


def organisation(user, period: Period, unit: Branch | None) -> list[Table]:
    """Per visible branch: members and bound followers (direct and with the subtree), events
    per member of each activity, average quiz score; all within the unit."""
    branches = Branch.objects.all() if office_wide(user) else visible_branches(user)
    if unit is not None:
        branches = branches.filter(path__startswith=unit.path)
    branches = list(branches.order_by("path"))
    members = dict(
        Member.objects.filter(active=True)
        .order_by()
        .values("branch_id")
        .annotate(n=Count("pk"))
        .values_list("branch_id", "n")
    )
    bound = dict(
        Follower.objects.filter(subscribed=True, member__isnull=False)
        .order_by()
        .values("member__branch_id")
        .annotate(n=Count("pk"))
        .values_list("member__branch_id", "n")
    )
    activity = {
        (r["branch_id"], r["kind"]): r
        for r in summed(
            DailyActivity,
            period.start,
            period.end,
            ("branch_id", "kind"),
            {"n": "events", "s": "value_sum", "c": "value_count"},
            Q(branch__isnull=False),
        )
    }
    paths = {b.pk: b.path for b in Branch.objects.all()}
    kinds = dict(ActivityKind.choices)
    head = ["组织", "直属党员", "党员（含下级）", "已绑定关注者（含下级）"]
    head += [f"{kinds[k]}人均次数" for k in PARTICIPATION] + ["平均答题得分"]
    rows = []
    for b in branches:
        inside = [pk for pk, path in paths.items() if path.startswith(b.path)]
        total = sum(members.get(pk, 0) for pk in inside)
        row = [b.name, members.get(b.pk, 0), total, sum(bound.get(pk, 0) for pk in inside)]
        for kind in PARTICIPATION:
            n = sum((activity.get((pk, kind)) or {}).get("n", 0) for pk in inside)
            row.append(round(n / total, 2) if total else 0)
        s = sum(
            (activity.get((pk, ActivityKind.QUIZ.value)) or {}).get("s", 0) or 0 for pk in inside
        )
        c = sum(
            (activity.get((pk, ActivityKind.QUIZ.value)) or {}).get("c", 0) or 0 for pk in inside
        )
        row.append(round(s / c, 1) if c else 0)
        rows.append(row)
    reading = []
    for b, row in zip(branches, rows, strict=True):
        inside = [pk for pk, path in paths.items() if path.startswith(b.path)]
        n = sum((activity.get((pk, ActivityKind.READ.value)) or {}).get("n", 0) for pk in inside)
        reading.append([b.name, n, round(n / row[2], 2) if row[2] else 0])
    return [
        # Counts, not shares of a total: a unit's row includes its subtree's, and an
        # average is no share of anything.
        Table("各组织党员人数", head[:4], [r[:4] for r in rows], chart="counts", value=2),
        Table("各组织参与情况", head, rows, chart="stacked_participation"),
        Table(
            "各组织平均答题得分",
            ["组织", "平均答题得分"],
            [[r[0], r[-1]] for r in rows],
            chart="counts",
        ),
        Table(
            "各组织党员阅读",
            ["组织", "阅读量（含下级）", "人均阅读"],
            reading,
            chart="counts",
            note="登录后的党员阅读文章的次数，按其所在组织计。",
        ),
    ]


def content(user, period: Period, unit: Branch | None) -> list[Table]:
    """Per article and per column: reads (inside WeChat and elsewhere), UV, likes, shares and
    comments in the period, reads in the first 48 hours after publishing (the day of publishing
    and the next), and reads in the compared period beside this one's."""
    versus = period.compared()
    measures = {
        "n": "reads",
        "uv": "visitors",
        "likes": "likes",
        "shares": "shares",
        "comments": "comments",
        "wechat": "wechat_reads",
    }
    top = _top(summed(DailyPageSummary, period.start, period.end, ("page_id",), measures), "n", 50)
    ids = [r["page_id"] for r in top]
    before = {
        r["page_id"]: r["n"]
        for r in summed(
            DailyPageSummary,
            versus.start,
            versus.end,
            ("page_id",),
            {"n": "reads"},
            Q(page_id__in=ids),
        )
    }
    info = {
        p["pk"]: p
        for p in Page.objects.filter(pk__in=ids).values("pk", "title", "first_published_at")
    }
    # The day of publishing in the site's time zone (07:30 in Beijing is the day before in
    # UTC) and the next, for all the articles in one query.
    first_days = {
        pk: timezone.localdate(p["first_published_at"])
        for pk, p in info.items()
        if p["first_published_at"] is not None
    }
    early = dict.fromkeys(first_days, 0)
    if first_days:
        for pk, day, n in DailyPageSummary.objects.filter(
            page_id__in=first_days,
            day__gte=min(first_days.values()),
            day__lte=max(first_days.values()) + timedelta(days=1),
        ).values_list("page_id", "day", "reads"):
            if 0 <= (day - first_days[pk]).days <= 1:
                early[pk] += n
    rows = [
        [
            info.get(r["page_id"], {}).get("title", "（已删除）"),
            *_measured(r),
            early.get(r["page_id"], 0),
            *_change(r["n"], before.get(r["page_id"], 0)),
        ]
        for r in top
    ]
    in_a_column = Q(column__isnull=False)
    columns = _top(
        summed(DailyPageSummary, period.start, period.end, ("column_id",), measures, in_a_column),
        "n",
    )
    columns_before = {
        r["column_id"]: r["n"]
        for r in summed(
            DailyPageSummary,
            versus.start,
            versus.end,
            ("column_id",),
            {"n": "reads"},
            in_a_column,
        )
    }
    names = _titles({r["column_id"] for r in columns})
    wechat = wechat_stats.content_tables(period) if office_wide(user) and unit is None else []
    head = ["阅读量", "访客数", "点赞数", "分享数", "留言数", "微信内阅读", "微信外阅读"]
    compare = ["对比时段阅读量", "增减", "增减率"]
    return [
        Table(
            "文章阅读",
            ["文章", *head, "发布后 48 小时阅读量", *compare],
            rows,
            chart="grouped",
            series=(1, 9),
            note=f"对比时段：{versus.label()}",
        ),
        Table(
            "栏目阅读",
            ["栏目", *head, *compare],
            [
                [
                    names.get(r["column_id"], "—"),
                    *_measured(r),
                    *_change(r["n"], columns_before.get(r["column_id"], 0)),
                ]
                for r in columns
            ],
            chart="grouped",
            series=(1, 8),
            note=f"对比时段：{versus.label()}",
        ),
        Table(
            "阅读量两期对比",
            ["本期", "阅读量", "对比时段阅读量", "对比时段"],
            _side_by_side(period, versus),
            chart="grouped",
            series=(1, 2),
        ),
        *[Table(**t) for t in wechat],
    ]


def _measured(r: dict) -> list[int]:
    return [
        r["n"],
        r["uv"],
        r["likes"],
        r["shares"],
        r["comments"],
        r["wechat"],
        r["n"] - r["wechat"],
    ]


def _change(now: int, before: int) -> list:
    rate = f"{(now - before) / before * 100:+.1f}%" if before else "—"
    return [before, now - before, rate]


def _side_by_side(period: Period, versus: Period) -> list[list]:
    """Reads per day (or month) of both periods, the n-th bucket of each on one row."""
    ours = buckets(period)
    daily = period.days <= 31
    theirs = buckets(versus, daily=daily)  # day beside day, month beside month
    mine_by_day = _reads_by_day(period.start, period.end)
    theirs_by_day = _reads_by_day(versus.start, versus.end, months=not daily)

    def total(by_day: dict[date, int], a: date, b: date) -> int:
        return sum(n for day, n in by_day.items() if a <= day <= b)

    rows = []
    for i in range(max(len(ours), len(theirs))):
        mine = ours[i] if i < len(ours) else None
        other = theirs[i] if i < len(theirs) else None
        rows.append(
            [
                mine[0] if mine else "—",
                total(mine_by_day, mine[1], mine[2]) if mine else 0,
                total(theirs_by_day, other[1], other[2]) if other else 0,
                other[0] if other else "—",
            ]
        )
    return rows


DASHBOARDS = {
    "overview": ("总览", overview),
    "organisation": ("组织", organisation),
    "content": ("内容", content),
}


def workbook(title: str, period: Period, unit: Branch | None, tables: list[Table]) -> bytes:
    """The tables exactly as shown, one sheet each, under a line naming period and unit."""
    book = XlsxWriter()
    for n, table in enumerate(tables, start=1):
        append = book.sheet(f"{n}-{table.title}"[:31], widths=[24] + [14] * (len(table.head) - 1))
        append([f"{title}：{table.title}", period.label(), unit.name if unit else "全部"])
        append(table.head)
        for row in table.rows:
            append(row)
    return book.getvalue()


def numeral(n: int) -> str:
    """一 … 九十九, for the numbered sections of a report."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return f"{digits[tens] if tens > 1 else ''}十{digits[ones] if ones else ''}"
