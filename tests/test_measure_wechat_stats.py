"""WeChat's own statistics beside ours: the daily pull through the client (against the fake
over HTTP), idempotent and backfilling, silent without an account; and the dashboards that
show both numbers to the office and not to a 支部书记, with the export holding the same."""

import io
import logging
from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import article, column, site_home
from tests.test_audience_support import (
    PASSWORD,
    fast_passwords,  # noqa: F401
    secretary_of,
    tree,
    user_in,
)
from weizhi.analytics.models import (
    DailyAudience,
    DailyPageSummary,
    WeChatDaily,
    WeChatFamily,
    WeChatPulledDay,
)
from weizhi.wechat.account import SIMULATED_APP_ID, current_account
from weizhi.wechat.fake.datacube import CHINA
from weizhi.wechat.fake.urls import fake_for
from weizhi.wechat.records.models import WeChatSend
from weizhi.wechat.stats.pull import newest_ready_day, pull_wechat_statistics

pytest_plugins = ["tests.fake_wechat_server"]
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]
DATACUBE = [
    "getusersummary",
    "getusercumulate",
    "getarticlesummary",
    "getuserread",
    "getusershare",
    "getupstreammsg",
]


def at(day: date, hour: int = 12) -> int:
    return int(datetime.combine(day, time(hour), tzinfo=CHINA).timestamp())


def calls(fake) -> int:
    return sum(fake.count(f"/datacube/{name}") for name in DATACUBE)


def rows() -> list[tuple]:
    return list(
        WeChatDaily.objects.order_by("day", "family", "key").values_list(
            "pk", "day", "family", "key", "page_id", "cumulate_user", "read_count", "share_count"
        )
    )


@pytest.fixture
def history(account_on_fake):
    """Followers over the last ten days, an article of ours sent five days ago as the 次条
    of a two-article send, and messages followers sent."""
    fake = account_on_fake
    last = newest_ready_day()
    for n in range(120):
        fake.state.add_user(f"o{n}", subscribe_time=at(last - timedelta(days=n % 10)))
    fake.state.unfollow("o3", at(last - timedelta(days=1)))
    fake.state.receive("o1", 1, at(last))
    site_home()
    page = article(column(), title="学习贯彻会议精神")
    lead = article(column(), title="头条文章")
    WeChatSend.objects.create(
        page=lead,
        page_title=lead.title,
        mode=WeChatSend.Mode.MASS,
        status=WeChatSend.Status.SUCCEEDED,
        msg_data_id="2247483700",
        more_pages=[page.pk],
    )
    sent = last - timedelta(days=4)
    fake.state.record_articles(
        "2247483700", [{"title": "头条文章"}, {"title": "学习贯彻"}], at(sent)
    )
    return fake, last, page, lead


def test_the_pull_stores_every_family_and_links_articles_to_our_pages(history, settings):
    _fake, last, page, lead = history
    assert pull_wechat_statistics.call() == "pulled 7 days, 0 failed"
    families = set(WeChatDaily.objects.values_list("family", flat=True))
    assert families == {f.value for f in WeChatFamily}
    cumulate = WeChatDaily.objects.get(family="cumulate", day=last)
    assert cumulate.cumulate_user == 119
    assert (
        WeChatDaily.objects.get(family="users", day=last - timedelta(days=1), key="0").cancel_user
        == 1
    )
    articles = WeChatDaily.objects.filter(family="article")
    assert {a.key: a.page_id for a in articles} == {
        "2247483700_1": lead.pk,
        "2247483700_2": page.pk,
    }
    assert WeChatDaily.objects.get(family="upstream", day=last, key="1").msg_count == 1
    assert WeChatPulledDay.objects.count() == settings.WECHAT_STATS_BACKFILL_DAYS


def test_pulling_again_gives_the_same_rows_and_a_pulled_day_is_not_asked_again(history):
    fake, *_ = history
    pull_wechat_statistics.call()
    first, asked = rows(), calls(fake)
    assert pull_wechat_statistics.call() == "up to date"
    assert calls(fake) == asked
    WeChatPulledDay.objects.all().delete()
    pull_wechat_statistics.call()
    assert calls(fake) == 2 * asked
    assert rows() == first  # the same rows, even their ids: upserted, not added beside


def test_a_row_wechat_no_longer_reports_is_removed_when_its_day_is_pulled_again(history):
    fake, last, *_ = history
    pull_wechat_statistics.call()
    assert WeChatDaily.objects.filter(family="upstream", day=last).exists()
    fake.state.upstream.clear()
    WeChatPulledDay.objects.filter(day=last).delete()
    pull_wechat_statistics.call()
    assert not WeChatDaily.objects.filter(family="upstream", day=last).exists()


def test_the_backfill_pulls_only_the_missing_days(history, settings):
    fake, last, *_ = history
    settings.WECHAT_STATS_BACKFILL_DAYS = 10
    for n in (0, 1, 5):
        WeChatPulledDay.objects.create(day=last - timedelta(days=n))
    assert pull_wechat_statistics.call() == "pulled 7 days, 0 failed"
    # getarticlesummary spans one day: one call per missing day.
    assert fake.count("/datacube/getarticlesummary") == 7
    # Two runs of consecutive days (2–4 and 6–9 days back): two calls for a 7-day span each.
    assert fake.count("/datacube/getusersummary") == 2
    pulled = set(WeChatDaily.objects.filter(family="cumulate").values_list("day", flat=True))
    assert pulled == {last - timedelta(days=n) for n in (2, 3, 4, 6, 7, 8, 9)}
    assert WeChatPulledDay.objects.count() == 10


def test_a_failure_leaves_the_days_to_the_next_run_and_says_why(history, caplog):
    fake, *_ = history
    fake.fail_next("/datacube/getusershare", 48001)
    with caplog.at_level(logging.WARNING, logger="weizhi.wechat.stats.pull"):
        assert pull_wechat_statistics.call() == "pulled 0 days, 7 failed"
    assert "errcode=48001" in caplog.text and "没有该接口的权限" in caplog.text
    assert not WeChatPulledDay.objects.exists()
    assert pull_wechat_statistics.call() == "pulled 7 days, 0 failed"


def test_a_day_wechat_has_not_computed_yet_is_asked_for_again(history):
    fake, last, *_ = history
    fake.state.datacube_late.add(last)
    assert pull_wechat_statistics.call() == "pulled 6 days, 1 failed"
    assert not WeChatPulledDay.objects.filter(day=last).exists()
    assert not WeChatDaily.objects.filter(day=last).exists()
    fake.state.datacube_late.clear()
    assert pull_wechat_statistics.call() == "pulled 1 days, 0 failed"
    assert WeChatDaily.objects.get(family="cumulate", day=last).cumulate_user == 119


def test_a_deleted_follow_up_article_is_not_linked_and_does_not_stop_the_pull(history):
    _fake, _last, page, lead = history
    page.delete()  # the 次条, still listed in the send's more_pages
    assert pull_wechat_statistics.call() == "pulled 7 days, 0 failed"
    articles = WeChatDaily.objects.filter(family="article")
    assert {a.key: a.page_id for a in articles} == {"2247483700_1": lead.pk, "2247483700_2": None}


def test_without_an_account_the_job_makes_no_call(db, fake_wechat, settings):
    settings.WECHAT_APP_ID = ""
    account = current_account()
    assert account.simulated and account.app_id == SIMULATED_APP_ID
    simulated = fake_for(account.app_id, account.app_secret)
    before = calls(simulated)
    assert pull_wechat_statistics.call() == "no account"
    assert calls(simulated) == before and calls(fake_wechat) == 0
    assert not WeChatDaily.objects.exists() and not WeChatPulledDay.objects.exists()


def test_yesterday_is_asked_for_only_once_wechat_has_it_at_eight():
    tz = timezone.get_current_timezone()
    early = datetime(2026, 5, 10, 7, 59, tzinfo=tz)
    assert newest_ready_day(early) == date(2026, 5, 8)
    assert newest_ready_day(early.replace(hour=8, minute=0)) == date(2026, 5, 9)


# The dashboards.


def signed_in(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def section(response, title):
    return next((t, c) for t, c in response.context["sections"] if t.title == title)


@pytest.fixture
def pulled(history):
    _fake, last, page, _lead = history
    pull_wechat_statistics.call()
    DailyAudience.objects.create(day=last, followers=25, members=10, bound=5)
    DailyPageSummary.objects.create(day=last, page=page, reads=17, visitors=9)
    return last, page


def test_the_overview_shows_our_followers_and_wechats_side_by_side(client, pulled):
    last, _page = pulled
    signed_in(client, user_in("编辑", "editor"))
    response = client.get(reverse("analytics_dashboard", args=["overview"]), {"days": 7})
    followers, chart = section(response, "关注者（我们统计与微信统计）")
    assert followers.head == ["日期", "我们统计", "微信统计"]
    assert [f"{last:%m-%d}", 25, 119] in followers.rows
    assert "我们统计 25" in chart and "微信统计 119" in chart
    reads, _chart = section(response, "阅读量（我们统计与微信统计）")
    wechat_reads = WeChatDaily.objects.get(family="read", key="99999999", day=last).read_count
    assert [f"{last:%m-%d}", 17, wechat_reads] in reads.rows


def test_the_content_dashboard_puts_wechats_reads_of_our_article_beside_ours(client, pulled):
    _last, page = pulled
    signed_in(client, user_in("编辑", "editor"))
    response = client.get(reverse("analytics_dashboard", args=["content"]), {"days": 7})
    table, _chart = section(response, "公众号文章（我们统计与微信统计）")
    row = next(r for r in table.rows if r[0] == page.title)
    theirs = WeChatDaily.objects.filter(family="article", page=page)
    assert row[1:3] == [17, 9]
    assert row[3] == sum(t.read_count for t in theirs) > 0
    assert row[5] == sum(t.share_count for t in theirs)


@pytest.mark.parametrize("name", ["overview", "content"])
def test_the_export_holds_the_wechat_tables_as_shown(client, pulled, name):
    signed_in(client, user_in("编辑", "editor"))
    url = reverse("analytics_dashboard", args=[name])
    shown = client.get(url, {"days": 7})
    book = load_workbook(io.BytesIO(client.get(url, {"days": 7, "format": "xlsx"}).content))
    sheets = {ws.title.split("-", 1)[1]: ws for ws in book.worksheets}
    wechat = [t for t, _c in shown.context["sections"] if "微信统计" in t.title]
    assert wechat
    for table in wechat:
        values = [list(r) for r in sheets[table.title[:29]].iter_rows(values_only=True)]
        assert values[1] == table.head and values[2:] == table.rows


def test_a_secretary_sees_no_account_wide_wechat_numbers(client, pulled):
    branches = tree()
    user, _person = secretary_of(branches["first"])
    signed_in(client, user)
    for name in ("overview", "content"):
        response = client.get(reverse("analytics_dashboard", args=[name]), {"days": 7})
        assert response.status_code == 200
        assert "微信统计" not in response.content.decode()


def test_an_editor_choosing_a_unit_sees_no_wechat_numbers(client, pulled):
    branches = tree()
    signed_in(client, user_in("编辑", "editor"))
    url = reverse("analytics_dashboard", args=["overview"])
    response = client.get(url, {"days": 7, "unit": branches["first"].pk})
    assert "微信统计" not in response.content.decode()
    assert "微信统计" in client.get(url, {"days": 7}).content.decode()


def test_the_demo_adds_wechat_numbers_beside_its_year_once(db):
    from weizhi.analytics.demo import load_demo_measure

    site_home()
    article(column(), title="学习贯彻会议精神")
    assert load_demo_measure() == 365
    cumulate = WeChatDaily.objects.filter(family="cumulate")
    assert cumulate.count() == 365
    assert WeChatDaily.objects.filter(family="article").exclude(page=None).exists()
    count = WeChatDaily.objects.count()
    load_demo_measure()
    assert WeChatDaily.objects.count() == count
    assert not WeChatPulledDay.objects.exists()  # a real account's pull still replaces them
