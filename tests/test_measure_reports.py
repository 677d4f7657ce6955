"""统计报告: summary sentences made from rolled-up events that agree with the dashboards, a
Word file holding the tables' numbers, the scheduler's weekly and monthly periods, the form's
Chinese errors, and who may make and see which report."""

import io
import re
from datetime import date, datetime, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from docx import Document

from tests.factories import article, column, site_home
from tests.test_audience_support import (
    PASSWORD,
    fast_passwords,  # noqa: F401
    member,
    secretary_of,
    tree,
    user_in,
)
from weizhi.analytics import dashboards, events, reports
from weizhi.analytics.dashboards import Period
from weizhi.analytics.models import DailyPageStats, DailyVisitor, Report, ReportKind
from weizhi.analytics.rollup import roll_day

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

WEEK = reports.week_of(timezone.localdate() - timedelta(days=14))
LAST = reports.previous(WEEK)


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def world():
    """Two weeks of reads and activities, rolled up day by day: the week reported and the
    week before it."""
    branches = tree()
    people = {
        "first": [member(branches["first"], f"10{i}", name=f"甲{i}") for i in range(4)],
        "second": [member(branches["second"], f"20{i}", name=f"乙{i}") for i in range(2)],
        "third": [member(branches["third"], "3001", name="丙")],
    }
    site_home()
    pages = [article(column(), title="学习贯彻会议精神"), article(column(), title="支部工作动态")]
    raw = {"reads": {WEEK: 0, LAST: 0}, "events": {WEEK: 0, LAST: 0}}
    for period, scale in ((WEEK, 3), (LAST, 2)):
        for i in range(7):
            day = period.start + timedelta(days=i)
            for n, page in enumerate(pages):
                reads = scale * (i + 1) * (2 - n) + n
                DailyPageStats.objects.create(page=page, day=day, reads=reads)
                DailyVisitor.objects.create(page=page, day=day, reader=f"r{i}")
                raw["reads"][period] += reads
            for j, person in enumerate(people["first"][: scale + (i % 2)]):
                events.record(
                    "quiz", member=person, key=f"q{day}{j}", value=60 + 10 * j, at=at(day)
                )
                raw["events"][period] += 1
            if i < scale:
                events.record("survey", member=people["second"][0], key=f"s{day}", at=at(day))
                raw["events"][period] += 1
            roll_day(day)
    return branches, pages, raw


def signed_in(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def generate(capture, kind=ReportKind.WEEKLY, period=WEEK, unit=None, user=None) -> Report:
    with capture(execute=True):
        report = reports.request_report(kind, period, unit, user)
    report.refresh_from_db()
    assert report.status == "done", report.error
    return report


def section(report: Report, title: str) -> dict:
    return next(s for s in report.body["sections"] if s["title"] == title)


def test_the_summary_is_made_from_the_rolled_up_numbers_the_dashboards_show(
    world, django_capture_on_commit_callbacks
):
    _branches, _pages, raw = world
    editor = user_in("编辑", "editor")
    report = generate(django_capture_on_commit_callbacks, user=editor)

    shown = dashboards.overview(editor, WEEK, None)
    reads = sum(r[1] for r in next(t for t in shown if t.title == "阅读量").rows)
    before = sum(
        r[1]
        for r in next(
            t for t in dashboards.overview(editor, LAST, None) if t.title == "阅读量"
        ).rows
    )
    assert (reads, before) == (raw["reads"][WEEK], raw["reads"][LAST])
    change = round((reads - before) / before * 100)
    first = report.body["summary"][0]
    assert f"文章共被阅读 {reads:,} 次，比上周增加 {change}%" in first, first

    activity = next(t for t in shown if t.title == "活动参与").rows
    assert sum(r[1] for r in activity) == raw["events"][WEEK]
    sentences = "".join(report.body["summary"])
    assert f"党员参加各项活动 {raw['events'][WEEK]} 次" in sentences
    # 第一党支部: 4 members, all the quizzes; 第二党支部: 2 members, 3 surveys.
    quizzes = raw["events"][WEEK] - 3
    assert f"参与率最高的支部是第一党支部（人均 {quizzes / 4:.2f} 次）" in sentences
    assert "最低的是第三党支部（人均 0.00 次）" in sentences
    assert "阅读量最高的文章是《学习贯彻会议精神》" in sentences

    org = dashboards.organisation(editor, WEEK, None)
    for table in org:
        assert section(report, table.title)["rows"] == table.rows
    metrics = dict((r[0], r[1:]) for r in section(report, "主要指标")["rows"])
    assert metrics["阅读量"][:2] == [raw["reads"][WEEK], raw["reads"][LAST]]
    assert metrics["活动参与次数"][:2] == [raw["events"][WEEK], raw["events"][LAST]]


def test_a_unit_report_holds_only_that_units_activity(world, django_capture_on_commit_callbacks):
    branches, _pages, _raw = world
    report = generate(django_capture_on_commit_callbacks, unit=branches["second"])
    rows = section(report, "活动参与")["rows"]
    assert rows == [["问卷", 3, 3]]
    assert report.body["title"] == "第二党支部数据统计周报"
    names = [r[0] for r in section(report, "各组织党员人数")["rows"]]
    assert names == ["第二党支部"]
    assert "关注者与党员" not in [s["title"] for s in report.body["sections"]]


def test_the_word_file_opens_and_holds_every_tables_numbers(
    world, django_capture_on_commit_callbacks
):
    report = generate(django_capture_on_commit_callbacks)
    doc = Document(io.BytesIO(bytes(report.docx)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert report.body["title"] in text and report.body["period"] in text
    for sentence in report.body["summary"]:
        assert sentence in text
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    with_rows = [s for s in report.body["sections"] if s["rows"]]
    assert len(tables) == len(with_rows)
    for grid, data in zip(tables, with_rows, strict=True):
        assert grid[0] == data["head"]
        expected = [
            [f"{v:,}" if isinstance(v, int) else f"{v:g}" if isinstance(v, float) else v for v in r]
            for r in data["rows"]
        ]
        assert grid[1:] == expected, data["title"]
    drawn = ("bar", "counts", "stacked", "stacked_participation")
    charted = [s for s in with_rows if s["chart"] in drawn]
    assert len(doc.inline_shapes) == len(charted) >= 5


def test_the_report_page_shows_the_summary_charts_and_tables(
    client, world, django_capture_on_commit_callbacks
):
    editor = user_in("编辑", "editor")
    report = generate(django_capture_on_commit_callbacks, user=editor)
    signed_in(client, editor)
    page = client.get(reverse("analytics_report", args=[report.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "全部组织数据统计周报" in html and WEEK.label().split(" 至 ")[0] in html
    for sentence in report.body["summary"]:
        assert sentence in html
    assert html.count("<svg") >= 5 and "@media print" not in html
    assert "二、主要指标" in html and "report.css" in html
    listed = client.get(reverse("analytics_reports")).content.decode()
    assert "已完成" in listed and "editor" in listed and "Word 文件" in listed
    docx = client.get(reverse("analytics_report_docx", args=[report.pk]))
    assert docx.status_code == 200 and docx.content == bytes(report.docx)
    assert "wordprocessingml" in docx["Content-Type"]


def test_a_report_waiting_for_its_task_shows_its_status(client, world):
    editor = user_in("编辑", "editor")
    report = reports.request_report(ReportKind.WEEKLY, WEEK, None, editor)  # task not run
    signed_in(client, editor)
    assert "排队中" in client.get(reverse("analytics_reports")).content.decode()
    page = client.get(reverse("analytics_report", args=[report.pk])).content.decode()
    assert "报告排队中" in page
    assert client.get(reverse("analytics_report_docx", args=[report.pk])).status_code == 404


def test_the_form_makes_a_monthly_report_in_a_task(
    client, world, django_capture_on_commit_callbacks
):
    editor = user_in("复审", "reviewer")
    signed_in(client, editor)
    day = WEEK.start
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("analytics_reports"), {"kind": "monthly", "start": day.isoformat()}
        )
    assert response.status_code == 302
    report = Report.objects.get()
    month = reports.month_of(day)
    assert (report.start, report.end) == (month.start, min(month.end, timezone.localdate()))
    assert report.status == "done" and report.created_by == editor and not report.scheduled
    assert "本月" in report.body["summary"][0] and "上月" in report.body["summary"][0]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"kind": "custom", "start": "2026-03-10", "end": "2026-03-01"},
            "结束日期不能早于开始日期",
        ),
        ({"kind": "custom", "start": "2025-01-01", "end": "2026-03-01"}, "最长 366 天"),
        ({"kind": "custom", "start": "2026-03-01"}, "请填写结束日期"),
        ({"kind": "weekly", "start": "2026-13-45"}, "请输入有效的日期"),
        ({"kind": "weekly", "start": "2026-03-01", "unit": "999999"}, "没有这个组织"),
        ({"kind": "yearly", "start": "2026-03-01"}, "选择一个有效的选项"),
        ({"kind": "weekly", "start": "2999-01-01"}, "开始日期不能晚于今天"),
        ({"kind": "weekly", "start": "0001-01-01"}, "开始日期不能早于"),
        ({"kind": "weekly"}, "请填写开始日期"),
    ],
)
def test_bad_input_is_a_chinese_form_error_not_a_500(client, world, data, message):
    signed_in(client, user_in("编辑", "editor"))
    response = client.post(reverse("analytics_reports"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Report.objects.exists()


def test_the_scheduler_makes_last_week_on_monday_and_last_month_on_the_first(
    world, django_capture_on_commit_callbacks
):
    def kinds(made):
        return sorted((r.kind, r.start, r.end) for r in made)

    with django_capture_on_commit_callbacks(execute=True):
        # Tuesday 1 December, half past midnight: November's last day may not be rolled yet.
        early = reports.schedule_reports(at(date(2026, 12, 1), 0) + timedelta(minutes=30))
        later = reports.schedule_reports(at(date(2026, 12, 1), 2))
        again = reports.schedule_reports(at(date(2026, 12, 1), 5))
        monday = reports.schedule_reports(at(date(2026, 12, 7), 1))
    assert kinds(early) == [("weekly", date(2026, 11, 23), date(2026, 11, 29))]
    assert kinds(later) == [("monthly", date(2026, 11, 1), date(2026, 11, 30))]
    assert again == []
    assert kinds(monday) == [("weekly", date(2026, 11, 30), date(2026, 12, 6))]
    for report in Report.objects.all():
        assert report.scheduled and report.unit is None and report.created_by is None
        assert report.status == "done" and report.docx


def test_a_month_is_compared_with_the_days_of_the_same_length_before_it():
    month = reports.month_of(date(2026, 3, 17))
    assert month == Period(date(2026, 3, 1), date(2026, 3, 31))
    assert reports.previous(month) == Period(date(2026, 1, 29), date(2026, 2, 28))
    assert reports.week_of(date(2026, 12, 6)) == Period(date(2026, 11, 30), date(2026, 12, 6))
    assert reports.numeral(2) == "二" and reports.numeral(10) == "十"
    assert reports.numeral(12) == "十二" and reports.numeral(21) == "二十一"


@pytest.mark.parametrize("role", ["编辑", "初审", "复审", "终审", "管理员"])
def test_the_editorial_roles_make_and_see_every_report(
    client, world, role, django_capture_on_commit_callbacks
):
    branches, _pages, _raw = world
    whole = generate(django_capture_on_commit_callbacks)
    unit = generate(django_capture_on_commit_callbacks, unit=branches["second"])
    signed_in(client, user_in(role, "u-role"))
    listed = client.get(reverse("analytics_reports"))
    assert listed.status_code == 200
    assert {r.pk for r in listed.context["reports"]} == {whole.pk, unit.pk}
    for report in (whole, unit):
        assert client.get(reverse("analytics_report", args=[report.pk])).status_code == 200
    response = client.post(
        reverse("analytics_reports"), {"kind": "weekly", "start": WEEK.start.isoformat()}
    )
    assert response.status_code == 302


def test_a_secretary_makes_and_sees_only_reports_of_their_subtree(
    client, world, django_capture_on_commit_callbacks
):
    branches, _pages, _raw = world
    whole = generate(django_capture_on_commit_callbacks)
    theirs = generate(django_capture_on_commit_callbacks, unit=branches["first"])
    other = generate(django_capture_on_commit_callbacks, unit=branches["second"])
    user, _person = secretary_of(branches["general"])
    inside = generate(django_capture_on_commit_callbacks, unit=branches["general"])
    signed_in(client, user)

    listed = client.get(reverse("analytics_reports"))
    assert {r.pk for r in listed.context["reports"]} == {theirs.pk, other.pk, inside.pk}
    assert client.get(reverse("analytics_report", args=[other.pk])).status_code == 200
    for url in ("analytics_report", "analytics_report_docx"):
        assert client.get(reverse(url, args=[whole.pk])).status_code == 404
    units = [b.name for b in listed.context["form"].fields["unit"].queryset]
    assert units == ["综合党总支", "第一党支部", "第二党支部"]

    url = reverse("analytics_reports")
    start = WEEK.start.isoformat()
    outside = client.post(url, {"kind": "weekly", "start": start, "unit": branches["third"].pk})
    assert outside.status_code == 400 and "无权查看" in outside.content.decode()
    nothing = client.post(url, {"kind": "weekly", "start": start})
    assert nothing.status_code == 400 and "请选择你所在的组织" in nothing.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        made = client.post(url, {"kind": "weekly", "start": start, "unit": branches["first"].pk})
    assert made.status_code == 302
    mine = Report.objects.get(created_by=user)
    assert mine.unit == branches["first"] and mine.status == "done"
    body = str(mine.body)
    assert "第三党支部" not in body and "期末关注者" not in body, body


def test_a_secretary_of_a_single_branch_does_not_see_a_sibling_report(
    client, world, django_capture_on_commit_callbacks
):
    branches, _pages, _raw = world
    other = generate(django_capture_on_commit_callbacks, unit=branches["second"])
    user, _person = secretary_of(branches["first"])
    signed_in(client, user)
    assert list(client.get(reverse("analytics_reports")).context["reports"]) == []
    assert client.get(reverse("analytics_report", args=[other.pk])).status_code == 404


@pytest.mark.parametrize("role", ["留言管理员", None])
def test_a_moderator_and_a_user_without_a_role_get_nothing(
    client, world, role, django_capture_on_commit_callbacks
):
    report = generate(django_capture_on_commit_callbacks)
    user = (
        user_in(role, "u-mod")
        if role
        else get_user_model().objects.create_user(username="nobody", password=PASSWORD)
    )
    signed_in(client, user)
    # Wagtail sends a user who may not use the admin at all back to its door (302).
    assert client.get(reverse("analytics_reports")).status_code in (302, 403)
    post = client.post(reverse("analytics_reports"), {"kind": "weekly", "start": "2026-03-02"})
    assert post.status_code in (302, 403)
    for url in ("analytics_report", "analytics_report_docx"):
        response = client.get(reverse(url, args=[report.pk]))
        assert response.status_code in (302, 403) and b"PK" not in response.content
    assert Report.objects.count() == 1


def test_an_anonymous_visitor_is_sent_to_sign_in(client, world):
    response = client.get(reverse("analytics_reports"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_report_on_the_demo_year_reads_well(world, django_capture_on_commit_callbacks):
    from weizhi.analytics.demo import load_demo_measure

    load_demo_measure()
    month = reports.month_of(timezone.localdate().replace(day=1) - timedelta(days=1))
    report = generate(django_capture_on_commit_callbacks, ReportKind.MONTHLY, month)
    summary = report.body["summary"]
    assert len(summary) >= 5
    assert re.search(r"本月（.*）文章共被阅读 [\d,]+ 次，比上月(增加|减少) \d+%", summary[0])
    assert any(s.startswith("期末关注者") for s in summary)
    assert all("None" not in s for s in summary)
    reads = section(report, "阅读量")
    shown = dashboards.overview(reports.OFFICE, month, None)
    daily = next(t for t in shown if t.title == "阅读量").rows
    assert len(reads["rows"]) == -(-month.days // 7) and reads["note"] == "按周合计。"
    assert sum(r[1] for r in reads["rows"]) == sum(r[1] for r in daily) > 0
    assert f"文章共被阅读 {sum(r[1] for r in daily):,} 次" in summary[0]


def test_the_demo_command_makes_the_reports_the_scheduler_would_have_made(
    world, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo_measure", stdout=io.StringIO())
        call_command("load_demo_measure", stdout=io.StringIO())
    due = reports.due_periods(timezone.now())
    made = Report.objects.filter(scheduled=True)
    assert sorted((r.kind, r.start) for r in made) == sorted((k, p.start) for k, p in due)
    assert all(r.status == "done" and r.body["summary"] for r in made)


def test_the_list_asks_the_same_number_of_queries_for_one_report_or_many(
    client, world, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    editor = user_in("编辑", "editor")
    generate(django_capture_on_commit_callbacks, user=editor)
    signed_in(client, editor)
    client.get(reverse("analytics_reports"))  # warm the session and permission caches
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("analytics_reports"))
    for _ in range(4):
        reports.request_report(ReportKind.WEEKLY, WEEK, None, editor)
    with django_assert_max_num_queries(len(one.captured_queries)):
        listed = client.get(reverse("analytics_reports"))
    assert len(listed.context["reports"]) == 5


def test_a_failed_report_says_why_in_the_list(client, world):
    editor = user_in("编辑", "editor")
    Report.objects.create(
        kind="weekly", start=WEEK.start, end=WEEK.end, status="failed", error="工作进程中断"
    )
    signed_in(client, editor)
    assert "生成失败：工作进程中断" in client.get(reverse("analytics_reports")).content.decode()


def test_a_machine_without_a_chinese_font_is_warned_at_start(monkeypatch, tmp_path):
    from django.core import checks

    from weizhi.analytics import report_charts

    # CI installs fonts-noto-cjk: nothing to say.
    assert not [m for m in checks.run_checks() if m.id == "weizhi.W001"]
    monkeypatch.setattr(report_charts, "FONTS", ((tmp_path / "none.ttc", 0),))
    (warning,) = [m for m in checks.run_checks() if m.id == "weizhi.W001"]
    assert "中文字体" in warning.msg and "fonts-noto-cjk" in warning.hint


def test_a_database_error_leaves_the_report_to_the_tasks_retry(world, monkeypatch):
    from django.db import OperationalError

    report = Report.objects.create(kind="weekly", start=WEEK.start, end=WEEK.end)

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(reports, "build", locked)
    with pytest.raises(OperationalError):
        reports.generate_report.call(report.pk)
    report.refresh_from_db()
    assert report.status != "failed"  # the next attempt may well succeed


def test_a_report_that_cannot_be_made_says_so_in_chinese(world, monkeypatch):
    report = Report.objects.create(kind="weekly", start=WEEK.start, end=WEEK.end)

    def broken(*args, **kwargs):
        raise OverflowError("date value out of range")

    monkeypatch.setattr(reports, "build", broken)
    assert reports.generate_report.call(report.pk) == "failed"
    report.refresh_from_db()
    assert report.status == "failed" and report.error == "程序出错，详情已记入日志"
