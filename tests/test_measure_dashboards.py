"""数据统计: who may open each dashboard, a 支部书记 walled into their subtree, and the .xlsx
export holding exactly the numbers of the tables and charts on the page."""

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import article, column, site_home
from tests.test_audience_support import (
    PASSWORD,
    fast_passwords,  # noqa: F401
    member,
    secretary_of,
    tree,
    user_in,
)
from weizhi.analytics import events
from weizhi.analytics.models import DailyPageStats
from weizhi.analytics.rollup import roll_day
from weizhi.audience.models import Follower

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]
NAMES = ["overview", "organisation", "content"]


@pytest.fixture
def world():
    branches = tree()
    first = member(branches["first"], "1001", name="王芳")
    second = member(branches["second"], "2001", name="赵强")
    events.record("quiz", member=first, key="a1", value=80)
    events.record("quiz", member=second, key="a2", value=60)
    events.record("survey", member=second, key="s1")
    site_home()
    page = article(column(), title="学习贯彻会议精神")
    DailyPageStats.objects.create(page=page, day=timezone.localdate(), reads=42)
    roll_day(timezone.localdate())
    return branches


def shown_as(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def signed_in(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


@pytest.mark.parametrize("role", ["编辑", "初审", "管理员"])
def test_the_editorial_roles_open_every_dashboard(client, world, role):
    signed_in(client, user_in(role, f"u-{role}"))
    for name in NAMES:
        response = client.get(reverse("analytics_dashboard", args=[name]))
        assert response.status_code == 200, name
        assert "<svg" in response.content.decode()


@pytest.mark.parametrize("role", ["留言管理员", None])
def test_a_moderator_and_a_user_without_a_role_are_refused(client, world, role):
    from django.contrib.auth import get_user_model

    user = (
        user_in(role, "u-mod")
        if role
        else get_user_model().objects.create_user(username="nobody", password=PASSWORD)
    )
    signed_in(client, user)
    for name in NAMES:
        assert client.get(reverse("analytics_dashboard", args=[name])).status_code in (302, 403)


def test_an_anonymous_visitor_is_sent_to_sign_in(client, world):
    response = client.get(reverse("analytics_dashboard", args=["overview"]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_secretary_sees_only_their_subtree(client, world):
    user, _person = secretary_of(world["first"])
    signed_in(client, user)
    response = client.get(reverse("analytics_dashboard", args=["organisation"]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "第一党支部" in page and "第二党支部" not in page and "综合党总支" not in page
    overview = client.get(reverse("analytics_dashboard", args=["overview"]))
    participation = next(t for t, _c in overview.context["sections"] if t.title == "活动参与")
    assert participation.rows == [["答题", 1, 1]]
    outside = client.get(
        reverse("analytics_dashboard", args=["organisation"]), {"unit": world["second"].pk}
    )
    assert outside.status_code == 400
    assert "无权查看" in outside.content.decode() and "赵强" not in outside.content.decode()


def test_a_bad_period_is_a_chinese_form_error_not_a_500(client, world):
    signed_in(client, user_in("编辑", "editor"))
    response = client.get(reverse("analytics_dashboard", args=["overview"]), {"days": "abc"})
    assert response.status_code == 400 and "选择一个有效的选项" in response.content.decode()


def test_an_unknown_dashboard_is_not_found(client, world):
    signed_in(client, user_in("编辑", "editor"))
    assert client.get(reverse("analytics_dashboard", args=["nothing"])).status_code == 404


@pytest.mark.parametrize("name", NAMES)
def test_the_export_holds_exactly_the_tables_and_charts_of_the_page(client, world, name):
    signed_in(client, user_in("编辑", "editor"))
    url = reverse("analytics_dashboard", args=[name])
    shown = client.get(url, {"days": 7})
    exported = client.get(url, {"days": 7, "format": "xlsx"})
    assert exported["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(exported.content), read_only=True)
    sections = shown.context["sections"]
    assert len(book.worksheets) == len(sections)
    for sheet, (table, chart) in zip(book.worksheets, sections, strict=True):
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert rows[1] == table.head
        assert rows[2:] == table.rows
        if chart and table.rows:
            assert all(str(r[0]) in chart for r in table.rows)
            if table.chart in ("bar", "counts"):
                assert all(f"：{shown_as(r[table.value])}" in chart for r in table.rows)
            if table.chart == "grouped":
                assert all(f"：{shown_as(r[i])}" in chart for r in table.rows for i in table.series)


def test_the_numbers_come_from_the_rolled_up_events(client, world):
    signed_in(client, user_in("编辑", "editor"))
    response = client.get(reverse("analytics_dashboard", args=["organisation"]))
    table = next(t for t, _c in response.context["sections"] if t.title == "各组织平均答题得分")
    scores = dict(table.rows)
    assert scores["第一党支部"] == 80 and scores["第二党支部"] == 60 and scores["综合党总支"] == 70
    content = client.get(reverse("analytics_dashboard", args=["content"]))
    reads = next(t for t, _c in content.context["sections"] if t.title == "文章阅读")
    assert reads.rows[0][:2] == ["学习贯彻会议精神", 42]


def test_participation_counts_what_members_do_not_follows_messages_or_replies(client, world):
    signed_in(client, user_in("编辑", "editor"))
    someone = member(world["first"], "1002", name="钱明")
    for kind in ("message", "reply"):
        events.record(kind, member=someone, key=f"x-{kind}")
    # Following is counted from the followers' own dates.
    Follower.objects.create(openid="o-new", member=someone, subscribed_at=timezone.now())
    roll_day(timezone.localdate())
    response = client.get(reverse("analytics_dashboard", args=["overview"]))
    table = next(t for t, _c in response.context["sections"] if t.title == "活动参与")
    assert {r[0] for r in table.rows} == {"答题", "问卷"}
    assert sum(r[1] for r in table.rows) == 3


def test_the_first_48_hours_start_on_the_day_of_publishing_in_beijing(client, world):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    signed_in(client, user_in("编辑", "editor"))
    today = timezone.localdate()
    page = article(column(), title="清晨发布")
    # 07:30 in Beijing is the evening before in UTC.
    published = datetime.combine(today - timedelta(days=3), datetime.min.time()).replace(
        hour=7, minute=30, tzinfo=ZoneInfo("Asia/Shanghai")
    )
    page.first_published_at = published
    page.save(update_fields=["first_published_at"])
    for offset, reads in ((4, 1000), (3, 5), (2, 7), (1, 100)):
        day = today - timedelta(days=offset)
        DailyPageStats.objects.create(page=page, day=day, reads=reads)
        roll_day(day)
    response = client.get(reverse("analytics_dashboard", args=["content"]), {"days": 7})
    table = next(t for t, _c in response.context["sections"] if t.title == "文章阅读")
    row = next(r for r in table.rows if r[0] == "清晨发布")
    early = table.head.index(next(h for h in table.head if "48" in h))
    assert row[early] == 12  # the day of publishing and the next, not the day before


def test_the_demo_fills_a_year_once(world):
    from weizhi.analytics.demo import load_demo_measure
    from weizhi.analytics.models import DailyActivity, DailyAudience

    assert load_demo_measure() == 365
    counts = (DailyAudience.objects.count(), DailyActivity.objects.count())
    assert load_demo_measure() == 0
    assert (DailyAudience.objects.count(), DailyActivity.objects.count()) == counts
