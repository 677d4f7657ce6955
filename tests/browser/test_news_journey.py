"""An editor reposts a party-news item into a draft from the admin, and a reader sees the
feed items in the 党建资讯 column and the weather box on the home page, on a phone."""

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from tests import factories
from tests.base import user_in
from tests.browser.conftest import screenshot
from tests.fake_feeds import FakeSite
from tests.fake_feeds import serve as serve_site
from tests.fake_weather import FakeWeather
from tests.fake_weather import serve as serve_weather
from weizhi.content.models import RepostPage
from weizhi.news.models import Feed, FeedItem
from weizhi.news.services import refresh_feeds

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PASSWORD = "p4ssw0rd-测试"


@pytest.fixture
def site(settings):
    settings.NEWS_ALLOW_PRIVATE_ADDRESSES = True
    fake = FakeSite()
    server = serve_site(fake)
    yield fake
    server.shutdown()
    server.server_close()


def test_an_editor_reposts_a_feed_item_into_a_draft(live_server, desktop, site):
    factories.site_home()
    user_in("编辑", "editor")
    Feed.objects.create(name="党建网（演示）", url=site.url + "/news/demo/dangjian.rss.xml")
    refresh_feeds()
    base = live_server.url

    desktop.goto(base + "/admin/login/")
    desktop.fill("#id_username", "editor")
    desktop.fill("#id_password", PASSWORD)
    desktop.click("button[type=submit]")
    desktop.wait_for_url(base + "/admin/")
    desktop.goto(base + "/admin/news/items/")
    row = desktop.locator("tr", has_text="把基层党组织建成坚强战斗堡垒")
    expect(row).to_be_visible()
    screenshot(desktop, "news-items")
    row.locator("button", has_text="转载").click()
    desktop.wait_for_url("**/admin/pages/*/edit/")
    desktop.wait_for_load_state("networkidle")
    assert "已生成转载草稿《把基层党组织建成坚强战斗堡垒》（图片 2 张）" in desktop.content()
    assert desktop.input_value("#id_title") == "把基层党组织建成坚强战斗堡垒"
    assert desktop.input_value("#id_source_name") == "党建网（演示）"
    screenshot(desktop, "news-repost-draft")

    page = RepostPage.objects.get()
    assert not page.live and page.owner.username == "editor"
    assert page.source_url == site.url + "/news/demo/pages/jiceng-zuzhili.html"
    assert FeedItem.objects.get(repost=page).title == page.title

    # The draft goes to the normal review from here.
    desktop.locator("footer button", has_text="更多动作").click()
    desktop.click("button[name=action-submit]")
    desktop.wait_for_load_state("networkidle")
    page.refresh_from_db()
    assert page.current_workflow_task.name == "初审" and not page.live


def test_a_reader_sees_feed_items_and_the_weather_on_a_phone(live_server, phone, site):
    weather = FakeWeather()
    server, url = serve_weather(weather)
    try:
        with override_settings(
            WEATHER_PROVIDER="open-meteo",
            OPEN_METEO_FORECAST_URL=url + "/om/v1/forecast",
            OPEN_METEO_GEOCODING_URL=url + "/om/v1/search",
        ):
            home = factories.site_home()
            Feed.objects.create(name="党建网（演示）", url=site.url + "/news/demo/dangjian.rss.xml")
            Feed.objects.create(
                name="职工之家（演示）", url=site.url + "/news/demo/zhigong.atom.xml"
            )
            refresh_feeds()
            phone.goto(live_server.url + home.url)
            phone.wait_for_selector(".weather-temp")
            assert "北京" in phone.inner_text(".weather") and "今天" in phone.inner_text(".weather")
            screenshot(phone, "weather-widget-phone")
            phone.goto(live_server.url + factories.column("dangjian").url)
            items = phone.locator(".news-item")
            assert items.count() == 5
            assert "职工之家（演示）" in phone.inner_text(".news-feed")
            screenshot(phone, "news-column-phone")
    finally:
        server.shutdown()
        server.server_close()
