"""On a phone inside WeChat: a story's tag opens its tag page, an infographic's text version
opens only when asked, and search results show the words found marked."""

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import screenshot
from weizhi.content.models import InfographicPage, TopicPage

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_tags_the_folded_text_version_and_marked_search_words(live_server, phone):
    factories.site_home()
    cover = factories.image("封面", size=(480, 320))
    story = factories.article(
        factories.column("yixian"),
        title="抗洪抢险一线的值守",
        summary="连夜抗洪，守护家园",
        cover=cover,
    )
    story.tags.add("防汛", "一线")
    story.save_revision().publish()
    other = factories.article(title="防汛物资清点完毕", summary="仓库盘点结束")
    other.tags.add("防汛")
    other.save_revision().publish()

    phone.goto(live_server.url + story.url)
    tag = phone.locator(".tags a", has_text="#防汛")
    assert tag.bounding_box()["height"] >= 44
    tag.click()
    phone.wait_for_selector("h1.column-title")
    assert phone.locator("h1.column-title").inner_text() == "#防汛"
    assert phone.locator(".card").count() == 2
    width = phone.viewport_size["width"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scroll
    shot = screenshot(phone, "phone-tag-page")
    shutil.copy(shot, DOCS / "phone-tag-page.png")

    picture = factories.image("长图", size=(300, 720))
    infographic = factories.column("yitu").add_child(
        instance=InfographicPage(
            title="一图读懂防汛责任",
            images=[{"type": "image", "value": {"image": picture.pk, "caption": ""}}],
            text_version="<p>防汛责任落实到人</p>",
        )
    )
    infographic.save_revision().publish()
    phone.goto(live_server.url + infographic.url)
    text = phone.get_by_text("防汛责任落实到人")
    expect(text).to_be_hidden()
    summary = phone.locator(".text-version summary")
    assert summary.inner_text() == "查看文字版"
    assert summary.bounding_box()["height"] >= 44
    summary.click()
    expect(text).to_be_visible()

    home = factories.site_home()
    topic = home.add_child(instance=TopicPage(title="防汛专题", intro="汛期工作一览"))
    topic.save_revision().publish()
    phone.goto(live_server.url + "/")
    link = phone.locator(".topic-link", has_text="防汛专题")
    assert link.bounding_box()["height"] >= 44
    shot = screenshot(phone, "phone-home-topics")
    shutil.copy(shot, DOCS / "phone-home-topics.png")
    phone.locator(".topsearch input").fill("抗洪")
    phone.locator(".topsearch input").press("Enter")
    phone.wait_for_selector(".hint")
    marks = phone.locator(".card mark")
    assert marks.count() == 2  # once in the title, once in the summary
    assert {marks.nth(i).inner_text() for i in range(2)} == {"抗洪"}
    background = marks.first.evaluate("m => getComputedStyle(m).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    shot = screenshot(phone, "phone-search-marks")
    shutil.copy(shot, DOCS / "phone-search-marks.png")
