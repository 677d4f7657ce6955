"""Reports for the committee meeting (统计报告): the dashboards' own tables for one period and
unit, beside the previous period of the same length, with summary sentences made from those
numbers, frozen into Report.body and a Word file when generated.

Generation runs as a task (generate_report); the scheduler makes last week's report on
Monday and last month's on the 1st, for the whole organisation (make_scheduled_reports).
"""

from __future__ import annotations

import contextlib
import logging
import re
from datetime import date, datetime, time, timedelta

from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from weizhi.audience.models import Branch
from weizhi.audience.scope import visible_branches
from weizhi.core.taskqueue import task

from . import dashboards
from .dashboards import Period, Table, numeral, office_wide  # noqa: F401 (numeral: reports.numeral)
from .models import Report, ReportKind, ReportStatus, report_title

log = logging.getLogger(__name__)

MAX_DAYS = 366
ARTICLES = 10
# The roll-up runs every 15 minutes and makes yesterday final on its first run after
# midnight; a scheduled report waits until this hour so that the period's last day is final.
SCHEDULE_HOUR = 1
PREVIOUS = {ReportKind.WEEKLY: "上周", ReportKind.MONTHLY: "上月", ReportKind.CUSTOM: "上一时段"}
CURRENT = {ReportKind.WEEKLY: "本周", ReportKind.MONTHLY: "本月", ReportKind.CUSTOM: "本期"}


class _Office:
    """Whom a report is built for: the office, which sees every unit. Who may ask for a
    report of a unit is checked before (may_see_unit); the tables of one unit are the same
    for everyone who may see it."""

    is_superuser = True
    is_authenticated = True
    is_active = True

    def has_perm(self, perm: str, obj=None) -> bool:
        return True


OFFICE = _Office()


def week_of(day: date) -> Period:
    monday = day - timedelta(days=day.weekday())
    return Period(monday, monday + timedelta(days=6))


def month_of(day: date) -> Period:
    first = day.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return Period(first, nxt - timedelta(days=1))


def previous(period: Period) -> Period:
    """The period of the same length just before (a month is compared with the days before
    it, so February is compared with the 28 days before it)."""
    return Period(period.start - timedelta(days=period.days), period.start - timedelta(days=1))


def period_of(kind: str, start: date, end: date | None, today: date) -> Period:
    """The period a form asks for; a week or month still under way ends today."""
    if kind == ReportKind.WEEKLY:
        p = week_of(start)
    elif kind == ReportKind.MONTHLY:
        p = month_of(start)
    else:
        p = Period(start, end or start)
    return Period(p.start, min(p.end, today)) if p.start <= today else p


def visible_reports(user):
    """Every report for the office; a 支部书记 the reports of units in their subtree."""
    if office_wide(user):
        return Report.objects.all()
    return Report.objects.filter(unit__in=visible_branches(user))


def may_see_unit(user, unit: Branch | None) -> bool:
    if office_wide(user):
        return True
    return unit is not None and visible_branches(user).filter(pk=unit.pk).exists()


def request_report(
    kind: str, period: Period, unit: Branch | None, user=None, scheduled: bool = False
) -> Report:
    """Record the report as waiting and generate it in a task once the row is committed."""
    with transaction.atomic():
        report = Report.objects.create(
            kind=kind,
            start=period.start,
            end=period.end,
            unit=unit,
            unit_name=unit.name if unit else "全部组织",
            created_by=user,
            scheduled=scheduled,
        )
        transaction.on_commit(lambda: generate_report.enqueue(report.pk))
    log.info(
        "report %s requested: %s %s..%s unit=%s by=%s",
        report.pk,
        kind,
        period.start,
        period.end,
        unit.pk if unit else "all",
        user.pk if user else "schedule",
    )
    return report


def due_periods(now: datetime) -> list[tuple[str, Period]]:
    """Last week and last month, once the first hour of the day after they end is past."""
    today = timezone.localtime(now).date()
    ready = timezone.localtime(now).time() >= time(SCHEDULE_HOUR)
    out = []
    for kind, period in (
        (ReportKind.WEEKLY, week_of(today - timedelta(days=7))),
        (ReportKind.MONTHLY, month_of(today.replace(day=1) - timedelta(days=1))),
    ):
        if today > period.end + timedelta(days=1) or ready:
            out.append((kind, period))
    return out


def schedule_reports(now: datetime | None = None) -> list[Report]:
    """Make the due whole-organisation reports that do not exist yet (a missed Monday is
    made up on the next run); returns the reports made."""
    made = []
    for kind, period in due_periods(now or timezone.now()):
        if Report.objects.filter(kind=kind, start=period.start, scheduled=True).exists():
            continue
        # IntegrityError: another scheduler run made it at the same moment.
        with contextlib.suppress(IntegrityError):
            made.append(request_report(kind, period, None, scheduled=True))
    return made


@task()
def make_scheduled_reports() -> int:
    return len(schedule_reports())


def _failed(reason: str, report_id: int, *args, **kwargs) -> None:
    Report.objects.filter(pk=report_id).exclude(status=ReportStatus.DONE).update(
        status=ReportStatus.FAILED, error=reason[:500], finished_at=timezone.now()
    )
    log.error("report %s failed for good: %s", report_id, reason)


@task(retry=True, on_failure=_failed)
def generate_report(report_id: int) -> str:
    """Build the numbers and the Word file; run again, it builds them afresh (idempotent)."""
    from .report_docx import render_docx

    report = Report.objects.select_related("unit").get(pk=report_id)
    if report.status == ReportStatus.DONE:
        return report.status
    Report.objects.filter(pk=report_id).update(status=ReportStatus.RUNNING)
    try:
        body = build(report.kind, Period(report.start, report.end), report.unit)
        docx = render_docx(body)
    except DatabaseError:
        # The database locked or out of reach for a moment: the task runs again, and only
        # after its last attempt is the report marked failed (on_failure).
        log.warning("report %s: database error, to be tried again", report_id, exc_info=True)
        raise
    except Exception:
        log.exception("report %s could not be generated", report_id)
        _failed("程序出错，详情已记入日志", report_id)
        return ReportStatus.FAILED
    Report.objects.filter(pk=report_id).update(
        status=ReportStatus.DONE, body=body, docx=docx, finished_at=timezone.now(), error=""
    )
    log.info("report %s generated (%d bytes of docx)", report_id, len(docx))
    return ReportStatus.DONE


def build(kind: str, period: Period, unit: Branch | None) -> dict:
    """The report's content as plain data (JSON): heading, summary sentences, sections."""
    before = previous(period)
    now = _collect(period, unit)
    then = _collect(before, unit)
    metrics = _metrics(now, then, unit)
    sections = [metrics]
    overview = now["overview"]
    sections += [_weekly(t) for t in overview if t.title in ("关注者与党员", "阅读量")]
    articles = _find(now["content"], "文章阅读")
    sections.append(
        Table(
            "阅读量最高的文章",
            articles.head,
            articles.rows[:ARTICLES],
            note=f"按阅读量排列的前 {ARTICLES} 篇，与“数据统计 · 内容”的文章表前几行相同。",
        )
    )
    sections += [t for t in overview if t.title in ("热门栏目", "活动参与")]
    sections += now["organisation"]
    if unit is not None:
        note = (
            "文章阅读量为全部读者的阅读（“各组织党员阅读”只计登录的党员）；"
            "活动与党员数只含本组织及下级组织。"
        )
        for t in sections:
            if t.title in ("阅读量", "阅读量最高的文章", "热门栏目"):
                t.note = (t.note + " " + note).strip()
    return {
        "kind": kind,
        "kind_label": ReportKind(kind).label,
        "title": report_title(kind, unit.name if unit else "全部组织"),
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "period": period.label(),
        "previous": before.label(),
        "unit": unit.name if unit else "全部组织",
        "summary": summary(kind, period, now, then, unit),
        "sections": [_plain(t) for t in sections],
    }


def _kind_title(kind: str) -> str:
    return (
        "数据统计周报"
        if kind == "weekly"
        else "数据统计月报"
        if kind == "monthly"
        else "数据统计报告"
    )


def _weekly(table: Table) -> Table:
    """A daily series of more than two weeks, in weeks from the period's first day: reads
    summed, followers as they stood at the end of each week (a meeting reads five rows, not
    thirty). Longer periods are in months already."""
    follow = table.title == "关注者与党员"
    chart = "" if follow else table.chart  # a share of a running total means nothing
    rows = table.rows
    if len(rows) <= 14 or not all(re.fullmatch(r"\d\d-\d\d", str(r[0])) for r in rows):
        return Table(table.title, table.head, rows, chart=chart, value=table.value)
    out = []
    for i in range(0, len(rows), 7):
        week = rows[i : i + 7]
        label = f"{week[0][0]}～{week[-1][0]}"
        if follow:
            out.append([label, *week[-1][1:]])
        else:
            out.append([label, *(sum(r[j] for r in week) for j in range(1, len(table.head)))])
    head = ["周", *table.head[1:]]
    note = "按周合计。" if not follow else "每周末的人数。"
    return Table(table.title, head, out, chart=chart, value=table.value, note=note)


def _collect(period: Period, unit: Branch | None) -> dict[str, list[Table]]:
    return {name: make(OFFICE, period, unit) for name, (_t, make) in dashboards.DASHBOARDS.items()}


def _find(tables: list[Table], title: str) -> Table:
    return next(t for t in tables if t.title == title)


def _plain(t: Table) -> dict:
    return {
        "title": t.title,
        "head": t.head,
        "rows": t.rows,
        "chart": t.chart,
        "value": t.value,
        "note": t.note,
        "series": list(t.series),
    }


def table_of(section: dict) -> Table:
    return Table(**{**section, "series": tuple(section.get("series", ()))})


def totals(tables: dict[str, list[Table]], unit: Branch | None) -> dict[str, float]:
    """The period's headline numbers, each a sum over (or a row of) one dashboard table."""
    overview, org = tables["overview"], tables["organisation"]
    activity = _find(overview, "活动参与").rows
    out = {
        "reads": sum(r[1] for r in _find(overview, "阅读量").rows),
        "events": sum(r[1] for r in activity),
        "people": sum(r[2] for r in activity),
        "score": None,
    }
    # The organisation rows are in tree order: the first is the unit itself, or the top
    # committee when the whole organisation has one.
    scores = _find(org, "各组织平均答题得分").rows
    if scores and (unit is not None or Branch.objects.filter(parent=None).count() == 1):
        out["score"] = scores[0][1]
    audience = [t for t in overview if t.title == "关注者与党员"]
    if audience and audience[0].rows:
        last = audience[0].rows[-1]
        out.update(followers=last[1], members=last[2], bound=last[3])
    return out


def _change(now: float, then: float, word: str) -> str:
    if not then:
        return f"{word}为零" if not now else f"{word}没有数据，无法比较"
    pct = (now - then) / then * 100
    if abs(pct) < 0.5:
        return f"与{word}持平"
    return f"比{word}{'增加' if pct > 0 else '减少'} {abs(pct):.0f}%"


def _num(n: float) -> str:
    return f"{n:,}" if isinstance(n, int) else f"{n:,.1f}"


def summary(kind: str, period: Period, now: dict, then: dict, unit: Branch | None) -> list[str]:
    """Sentences for the meeting, each made only from the tables' numbers."""
    cur, prev = CURRENT[ReportKind(kind)], PREVIOUS[ReportKind(kind)]
    a, b = totals(now, unit), totals(then, unit)
    out = [
        f"{cur}（{period.label()}）文章共被阅读 {_num(a['reads'])} 次，"
        f"{_change(a['reads'], b['reads'], prev)}。"
    ]
    top = _find(now["content"], "文章阅读").rows
    if top:
        out.append(f"阅读量最高的文章是《{top[0][0]}》，阅读 {_num(top[0][1])} 次。")
    who = f"{unit.name}党员" if unit else "党员"
    if a["events"]:
        activity = _find(now["overview"], "活动参与").rows
        out.append(
            f"{who}参加各项活动 {_num(a['events'])} 次，{_change(a['events'], b['events'], prev)}；"
            f"参加最多的是{activity[0][0]}（{_num(activity[0][1])} 次）。"
        )
    else:
        out.append(f"{cur}{who}没有参加活动的记录。")
    best = _participation(now["organisation"])
    if len(best) >= 2:
        (hi_name, hi), (lo_name, lo) = best[0], best[-1]
        out.append(
            f"参与率最高的支部是{hi_name}（人均 {hi:.2f} 次），"
            f"最低的是{lo_name}（人均 {lo:.2f} 次）。"
        )
    elif best:
        out.append(f"{best[0][0]}人均参加活动 {best[0][1]:.2f} 次。")
    if a.get("score"):
        was = f"，{prev} {b['score']} 分" if b.get("score") else ""
        out.append(f"平均答题得分 {a['score']} 分{was}。")
    if "followers" in a:
        grown = a["followers"] - b.get("followers", 0) if "followers" in b else None
        more = f"，比{prev}末{'增加' if grown >= 0 else '减少'} {abs(grown):,} 人" if grown else ""
        out.append(
            f"期末关注者 {_num(a['followers'])} 人{more}；"
            f"党员 {_num(a['members'])} 人，其中已绑定公众号 {_num(a['bound'])} 人。"
        )
    return out


def _participation(org: list[Table]) -> list[tuple[str, float]]:
    """(branch, events per member) for the 党支部 rows with members, highest first: the sum
    of the per-activity averages of the 各组织参与情况 table."""
    table = _find(org, "各组织参与情况")
    kinds = dict(Branch.objects.values_list("name", "kind"))
    rows = [
        (r[0], round(sum(r[4:-1]), 2)) for r in table.rows if r[2] and kinds.get(r[0]) == "branch"
    ]
    return sorted(rows, key=lambda x: (-x[1], x[0]))


def _metrics(now: dict, then: dict, unit: Branch | None) -> Table:
    a, b = totals(now, unit), totals(then, unit)
    rows = [
        ["阅读量", a["reads"], b["reads"]],
        ["活动参与次数", a["events"], b["events"]],
        ["活动参与人次", a["people"], b["people"]],
    ]
    if a["score"] is not None or b["score"] is not None:
        rows.append(["平均答题得分", a["score"] or 0, b["score"] or 0])
    if "followers" in a:
        rows += [
            ["期末关注者", a["followers"], b.get("followers", 0)],
            ["期末党员", a["members"], b.get("members", 0)],
            ["期末已绑定党员", a["bound"], b.get("bound", 0)],
        ]
    for r in rows:
        r.append(_percent(r[1], r[2]))
    return Table("主要指标", ["指标", "本期", "上期", "变化"], rows, chart="")


def _percent(now: float, then: float) -> str:
    if not then:
        return "—"
    pct = (now - then) / then * 100
    return "持平" if abs(pct) < 0.5 else f"{'+' if pct > 0 else '−'}{abs(pct):.0f}%"
