"""内容 compared over two periods (the one before, or one chosen), with shares, comments and
reads inside WeChat and elsewhere; 总览's open inbox items and early warnings, walled by role
like every other number there."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import article, column, site_home
from tests.test_audience_support import (
    PASSWORD,
    fast_passwords,  # noqa: F401
    secretary_of,
    tree,
    user_in,
)
from weizhi.analytics.models import DailyPageSummary
from weizhi.inbox.models import Item, Status

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def signed_in(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def section(response, title: str):
    return next(t for t, _c in response.context["sections"] if t.title == title)


@pytest.fixture
def story():
    site_home()
    page = article(column(), title="两期对比的文章")
    today = timezone.localdate()

    def day(back: int, reads: int, **more) -> None:
        DailyPageSummary.objects.create(
            day=today - timedelta(days=back),
            page=page,
            column_id=page.get_parent().pk,
            reads=reads,
            visitors=reads // 2,
            **more,
        )

    # This week: 30 reads, 12 inside WeChat, 4 shares, 3 comments, 2 likes.
    day(0, 10, wechat_reads=5, shares=1, comments=1, likes=2)
    day(3, 10, wechat_reads=7, shares=3, comments=2)
    day(6, 10)
    # The week before: 10 reads; a month ago: 7.
    day(7, 4)
    day(13, 6)
    day(14, 100)  # a day before both weeks: in neither
    day(27, 7)
    return page


def test_the_content_dashboard_compares_with_the_period_before(client, story):
    signed_in(client, user_in("编辑", "editor"))
    response = client.get(reverse("analytics_dashboard", args=["content"]), {"days": 7})
    assert response.status_code == 200
    articles = section(response, "文章阅读")
    assert articles.head[1:8] == [
        "阅读量",
        "访客数",
        "点赞数",
        "分享数",
        "留言数",
        "微信内阅读",
        "微信外阅读",
    ]
    row = articles.rows[0]
    assert row[0] == "两期对比的文章"
    assert row[1:8] == [30, 15, 2, 4, 3, 12, 18]
    assert row[9:] == [10, 20, "+200.0%"]
    columns = section(response, "栏目阅读")
    assert columns.rows[0][1:] == [30, 15, 2, 4, 3, 12, 18, 10, 20, "+200.0%"]
    by_day = section(response, "阅读量两期对比")
    assert sum(r[1] for r in by_day.rows) == 30 and sum(r[2] for r in by_day.rows) == 10
    # The n-th day of each period on one row: today beside the last day of the week before.
    assert by_day.rows[-1][1:3] == [10, 4] and by_day.rows[0][1:3] == [10, 6]
    assert "对比时段" in articles.note
    chart = next(c for t, c in response.context["sections"] if t is articles)
    assert 'data-chart="grouped"' in chart and "对比时段阅读量：10" in chart


def test_the_content_dashboard_compares_with_a_chosen_period(client, story):
    signed_in(client, user_in("编辑", "editor"))
    today = timezone.localdate()
    chosen = {
        "days": 7,
        "vs_start": (today - timedelta(days=30)).isoformat(),
        "vs_end": (today - timedelta(days=24)).isoformat(),
    }
    response = client.get(reverse("analytics_dashboard", args=["content"]), chosen)
    assert response.status_code == 200
    assert section(response, "文章阅读").rows[0][9:] == [7, 23, "+328.6%"]
    exported = client.get(
        reverse("analytics_dashboard", args=["content"]), {**chosen, "format": "xlsx"}
    )
    assert exported.status_code == 200


def test_a_longer_second_period_is_cut_in_days_like_the_first(client, story):
    # A week set beside 60 days: day beside day, not a day beside a month.
    signed_in(client, user_in("编辑", "editor"))
    today = timezone.localdate()
    chosen = {
        "days": 7,
        "vs_start": (today - timedelta(days=70)).isoformat(),
        "vs_end": (today - timedelta(days=11)).isoformat(),
    }
    response = client.get(reverse("analytics_dashboard", args=["content"]), chosen)
    assert response.status_code == 200
    by_day = section(response, "阅读量两期对比")
    assert len(by_day.rows) == 60
    assert all(len(r[3]) == len("01-01") for r in by_day.rows)
    assert sum(r[2] for r in by_day.rows) == 6 + 100 + 7  # days 13, 14 and 27 back
    assert sum(r[1] for r in by_day.rows) == 30


def test_nothing_before_is_a_dash_not_a_division_by_zero(client, story):
    signed_in(client, user_in("编辑", "editor"))
    today = timezone.localdate()
    lonely = {
        "days": 7,
        "vs_start": (today - timedelta(days=60)).isoformat(),
        "vs_end": (today - timedelta(days=50)).isoformat(),
    }
    response = client.get(reverse("analytics_dashboard", args=["content"]), lonely)
    assert section(response, "文章阅读").rows[0][9:] == [0, 30, "—"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"vs_start": "2026-01-01"}, "同时填写开始和结束日期"),
        ({"vs_start": "2026-02-01", "vs_end": "2026-01-01"}, "不能早于开始日期"),
        ({"vs_start": "2024-01-01", "vs_end": "2026-01-01"}, "最长 366 天"),
        ({"vs_start": "2026-13-01", "vs_end": "2026-01-01"}, "请填写正确的日期"),
        # Far in the future or the past: months would run off the calendar (was a 500).
        ({"days": 365, "vs_start": "9999-01-01", "vs_end": "9999-12-31"}, "到今天之间"),
        ({"vs_start": "0001-01-01", "vs_end": "0001-12-31"}, "到今天之间"),
    ],
)
def test_a_bad_second_period_is_a_chinese_form_error(client, story, query, message):
    signed_in(client, user_in("编辑", "editor"))
    response = client.get(reverse("analytics_dashboard", args=["content"]), query)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_only_the_content_dashboard_offers_a_second_period(client, story):
    signed_in(client, user_in("编辑", "editor"))
    overview = client.get(reverse("analytics_dashboard", args=["overview"]))
    assert "vs_start" not in overview.content.decode()
    content = client.get(reverse("analytics_dashboard", args=["content"]))
    assert 'name="vs_start"' in content.content.decode()


@pytest.fixture
def inbox():
    branches = tree()
    now = timezone.now()

    def item(branch, status, warn=False, due=None, back_days=0):
        return Item.objects.create(
            channel="wechat",
            summary="一件留言",
            branch=branches[branch] if branch else None,
            status=status,
            warn=warn,
            due_at=due,
            created_at=now - timedelta(days=back_days),
        )

    item("first", Status.NEW, warn=True)
    item("second", Status.ASSIGNED, due=now - timedelta(hours=2))
    item("second", Status.REPLIED, warn=True, back_days=40)
    item("third", Status.RESOLVED, warn=True)
    item(None, Status.NEW)
    return branches


def inbox_counts(client, **query) -> dict:
    response = client.get(reverse("analytics_dashboard", args=["overview"]), query)
    assert response.status_code == 200
    return dict(section(response, "留言办理与预警").rows)


def test_the_overview_counts_open_items_and_warnings_office_wide(client, inbox):
    signed_in(client, user_in("编辑", "editor"))
    assert inbox_counts(client, days=30) == {
        "待受理": 2,
        "办理中": 1,
        "已答复": 1,
        "超时未办": 1,
        "预警（未办结）": 2,
        "本期新增预警": 2,
    }
    assert inbox_counts(client, days=90)["本期新增预警"] == 3
    production = inbox_counts(client, days=30, unit=inbox["production"].pk)
    assert production == dict.fromkeys(production, 0) | {"本期新增预警": 1}


def test_a_secretary_counts_only_the_items_of_their_subtree(client, inbox):
    user, _person = secretary_of(inbox["first"])
    signed_in(client, user)
    assert inbox_counts(client) == {
        "待受理": 1,
        "办理中": 0,
        "已答复": 0,
        "超时未办": 0,
        "预警（未办结）": 1,
        "本期新增预警": 1,
    }


def test_a_secretary_of_a_general_branch_counts_the_branches_below(client, inbox):
    user, _person = secretary_of(inbox["general"], "general-secretary")
    signed_in(client, user)
    counts = inbox_counts(client)
    assert (counts["待受理"], counts["办理中"], counts["已答复"], counts["超时未办"]) == (
        1,
        1,
        1,
        1,
    )
    assert counts["预警（未办结）"] == 2


def test_the_inbox_numbers_are_walled_from_a_moderator_and_a_stranger(client, inbox):
    signed_in(client, user_in("留言管理员", "moderator"))
    refused = client.get(reverse("analytics_dashboard", args=["overview"]))
    assert refused.status_code in (302, 403) and "留言办理" not in refused.content.decode()
    client.logout()
    assert client.get(reverse("analytics_dashboard", args=["overview"])).status_code == 302
