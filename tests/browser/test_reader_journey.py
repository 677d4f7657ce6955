"""A member on a phone inside WeChat: home → a column → an article → like it."""

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import screenshot
from weizhi.analytics.counters import get_counter
from weizhi.analytics.models import PageStats

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_reader_opens_a_column_reads_an_article_and_likes_it(live_server, phone):
    factories.site_home()
    cover = factories.image("封面", size=(480, 320))
    factories.article(
        factories.column("yixian"),
        title="暴雨中的值守",
        summary="一线职工连夜排险",
        body="抗洪抢险一线,职工们坚守岗位。",
        cover=cover,
    )
    factories.article(factories.column("toutiao"), title="头条新闻一则")

    phone.goto(live_server.url + "/")
    expect(phone.locator(".tabs a", has_text="聚焦一线")).to_be_visible()
    screenshot(phone, "reader-home")

    phone.locator(".tabs a", has_text="聚焦一线").click()
    phone.wait_for_url("**/yixian/")
    assert phone.locator("h1.column-title").inner_text() == "聚焦一线"
    expect(phone.locator(".card h3", has_text="暴雨中的值守")).to_be_visible()

    phone.locator(".card h3", has_text="暴雨中的值守").click()
    phone.wait_for_selector(".story-head h1")
    assert phone.locator(".story-head h1").inner_text() == "暴雨中的值守"
    assert "抗洪抢险一线" in phone.locator(".story-body").inner_text()

    like = phone.locator("button.like")
    assert like.get_attribute("aria-pressed") == "false"
    like.click()
    phone.wait_for_selector("button.like[aria-pressed=true]")
    assert phone.locator("[data-likes]").inner_text() == "1"
    screenshot(phone, "reader-article")

    # A second visit remembers the like and shows the live count.
    phone.reload()
    phone.wait_for_selector("button.like[aria-pressed=true]")
    get_counter().flush()
    page_id = int(phone.locator(".story-foot").get_attribute("data-stats-url").split("/")[3])
    stats = PageStats.objects.get(page_id=page_id)
    assert stats.likes == 1
    assert stats.reads == 2


def test_search_finds_an_article_in_the_browser(live_server, phone):
    factories.site_home()
    factories.article(title="防汛演练", body="开展抗洪抢险应急演练。")
    phone.goto(live_server.url + "/")
    phone.fill(".topsearch input", "抗洪")
    phone.press(".topsearch input", "Enter")
    phone.wait_for_url("**/search/?q=*")
    expect(phone.locator(".card h3", has_text="防汛演练")).to_be_visible()
    screenshot(phone, "reader-search")


def test_a_like_made_before_the_page_count_arrives_is_not_undone_by_it(live_server, phone):
    """The page asks for its live count as it opens; when that answer comes after the reader's
    like (a slow network, a busy server), it holds the count from before the like and must not
    put the number back."""
    factories.site_home()
    article = factories.article(title="慢网络下的点赞", body="正文。")
    held = []

    def hold(route):
        # The server answers now, before the like; the page gets that answer later.
        held.append((route, route.fetch()))

    phone.route("**/api/pages/*/stats", hold)

    phone.goto(live_server.url + article.url)
    for _ in range(250):  # the route handler runs while Playwright waits
        if held:
            break
        phone.wait_for_timeout(20)
    assert len(held) == 1, "the page asks for its count once"
    phone.locator("button.like").click()
    phone.wait_for_selector("button.like[aria-pressed=true]")
    assert phone.locator("[data-likes]").inner_text() == "1"

    route, answer = held[0]
    assert answer.json()["likes"] == 0
    with phone.expect_response("**/api/pages/*/stats"):
        route.fulfill(response=answer)
    phone.evaluate("() => new Promise((done) => setTimeout(done, 100))")
    assert phone.locator("[data-likes]").inner_text() == "1"
    assert phone.locator("button.like").get_attribute("aria-pressed") == "true"
