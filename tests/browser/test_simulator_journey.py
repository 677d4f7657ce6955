"""An editor tries the reply rules in the 公众号模拟器: writes a keyword rule in the admin, makes
a simulated follower, follows, says the keyword, clicks a menu, searches — every message going
from the browser through the real (encrypted) callback URL."""

import shutil
import tempfile
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests import factories
from tests.base import user_in
from tests.browser.conftest import screenshot
from weizhi.wechat.account import current_account, forget_account
from weizhi.wechat.models import CustomMenu, InboundMessage, ReplyRule

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PASSWORD = "p4ssw0rd-测试"


def shot(page, name: str) -> None:
    """A screenshot in test-artifacts/, copied to the temp folder for a quick look."""
    path = screenshot(page, f"sim-{name}")
    shutil.copy(path, Path(tempfile.gettempdir()) / f"sim-{name}.png")


def rules_and_stories() -> None:
    factories.site_home()
    for n, title in enumerate(("全面从严治党永远在路上", "检修班组的一天", "党章学习心得"), 1):
        factories.article(
            title=title, summary=f"第{n}篇的摘要", cover=factories.image(size=(470, 200))
        )
    ReplyRule.objects.create(
        name="欢迎语", trigger="subscribe", text="欢迎关注微智！回复“党章”试试，或点下方菜单。"
    )
    ReplyRule.objects.create(
        name="最新文章", trigger="click", keywords="LATEST", reply_type="action", action="latest"
    )
    ReplyRule.objects.create(
        name="搜索",
        trigger="keyword",
        keywords="搜索",
        match="contains",
        reply_type="action",
        action="search",
    )


def write_keyword_rule(page, base: str) -> None:
    page.goto(base + "/admin/snippets/wechat/replyrule/add/")
    page.fill("#id_name", "党章学习")
    page.select_option("#id_trigger", "keyword")
    page.fill("#id_keywords", "党章")
    page.select_option("#id_reply_type", "text")
    page.fill("#id_text", '《中国共产党章程》全文：<a href="https://www.12371.cn/">点此阅读</a>')
    page.locator("footer button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    assert ReplyRule.objects.filter(name="党章学习", keywords="党章").exists()


def test_an_editor_tries_the_reply_rules_in_the_simulator(live_server, desktop, settings):
    # The simulated account's customer-service messages go to the fake WeChat API of this server.
    settings.SITE_URL = live_server.url
    forget_account()
    assert current_account().simulated
    rules_and_stories()
    CustomMenu.objects.create(
        buttons=[
            {
                "name": "学习",
                "sub_button": [
                    {"type": "click", "name": "最新文章", "key": "LATEST"},
                    {"type": "view", "name": "党员之家", "url": live_server.url + "/"},
                ],
            },
            {"type": "click", "name": "联系我们", "key": "CONTACT"},
        ]
    )
    user_in("编辑", username="editor")
    base = live_server.url
    page = desktop

    page.goto(base + "/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/admin/")
    write_keyword_rule(page, base)

    page.goto(base + "/admin/")
    page.get_by_role("button", name="公众号").click()
    page.get_by_role("link", name="公众号模拟器").click()
    page.wait_for_url(base + "/admin/wechat/simulator/")
    expect(page.locator(".wz-sim__menu-item", has_text="联系我们")).to_be_visible()
    expect(page.locator(".wz-sim__menu-item", has_text="最新文章")).to_be_hidden()

    page.fill("[data-remark]", "小王")
    page.get_by_role("button", name="新建模拟粉丝").click()
    follow = page.locator("[data-follow] button", has_text="关注")
    follow.wait_for()
    shot(page, "new-follower")
    follow.click()
    welcome = page.locator(".wz-sim__row--account .wz-sim__bubble", has_text="欢迎关注微智")
    welcome.wait_for()
    expect(page.locator(".wz-sim__system", has_text="关注了公众号")).to_be_visible()

    page.fill("[data-text]", "党章")
    page.get_by_role("button", name="发送", exact=True).click()
    answer = page.locator(".wz-sim__bubble", has_text="《中国共产党章程》全文")
    answer.wait_for()
    link = answer.locator("a", has_text="点此阅读")
    assert link.get_attribute("href") == "https://www.12371.cn/"
    expect(page.locator(".wz-sim__rule", has_text="命中规则：党章学习")).to_be_visible()

    page.locator(".wz-sim__menu-item", has_text="学习").click()
    shot(page, "menu")
    page.locator(".wz-sim__submenu .wz-sim__menu-item", has_text="最新文章").click()
    expect(page.locator(".wz-sim__submenu").first).to_be_hidden()
    cards = page.locator(".wz-sim__news").last
    cards.wait_for()
    assert cards.locator(".wz-sim__news-title").count() == 3
    assert cards.locator(".wz-sim__news-title").first.inner_text() == "党章学习心得"
    expect(page.locator(".wz-sim__system", has_text="点击菜单「最新文章」")).to_be_visible()
    cover = cards.locator("img.wz-sim__news-pic").first
    # The card is in the page before its picture has arrived: wait for the load (or the error).
    loaded = cover.evaluate(
        """img => img.complete ? img.naturalWidth > 0 : new Promise(done => {
            img.addEventListener("load", () => done(img.naturalWidth > 0));
            img.addEventListener("error", () => done(false));
        })"""
    )
    assert loaded, "cover did not load"
    shot(page, "chat")

    page.fill("[data-text]", "搜索 检修")
    page.get_by_role("button", name="语音").click()
    page.locator(".wz-sim__bubble", has_text="正在搜索“检修”").wait_for()
    late = page.locator(".wz-sim__exchange", has_text="正在搜索").locator(".wz-sim__tag")
    late.wait_for()
    assert late.inner_text() == "客服消息"
    expect(page.locator(".wz-sim__news-title", has_text="检修班组的一天").last).to_be_visible()
    expect(page.locator(".wz-sim__voice-mark").last).to_be_visible()

    page.locator("[data-raw] summary").click()
    assert "<Encrypt>" in page.locator("[data-raw-sent]").inner_text()
    assert "<Encrypt>" in page.locator("[data-raw-received]").inner_text()
    assert "正在搜索" in page.locator("[data-raw-reply]").inner_text()
    shot(page, "late-answer")

    statuses = list(InboundMessage.objects.order_by("received_at").values_list("status", flat=True))
    assert statuses == ["replied", "replied", "replied", "sent_later"]
    assert all(InboundMessage.objects.values_list("encrypted", flat=True))

    page.get_by_role("button", name="取消关注").click()
    page.locator(".wz-sim__system", has_text="取消关注了公众号").wait_for()
    expect(page.locator("[data-follow]")).to_be_visible()


def test_the_simulator_says_what_is_wrong_in_chinese(live_server, desktop):
    factories.site_home()
    user_in("编辑", username="editor")
    base = live_server.url
    page = desktop
    page.goto(base + "/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/admin/")
    page.goto(base + "/admin/wechat/simulator/")
    page.get_by_role("button", name="新建模拟粉丝").click()
    page.locator("[data-follow] button").click()
    page.locator(".wz-sim__system", has_text="关注了公众号").wait_for()
    page.get_by_role("button", name="发送", exact=True).click()
    error = page.locator("[data-error]")
    error.wait_for()
    assert error.inner_text() == "请输入要发送的文字。"
    page.fill("[data-text]", "没有规则的话")
    page.get_by_role("button", name="发送", exact=True).click()
    page.locator(".wz-sim__system", has_text="没有匹配的规则").wait_for()
    expect(error).to_be_hidden()
    shot(page, "errors")


def test_a_late_answer_appears_in_the_chat_when_the_worker_sends_it(live_server, desktop, settings):
    # The demo's task queue: the search is answered by a worker, after the callback returned.
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    settings.SITE_URL = live_server.url
    forget_account()
    rules_and_stories()
    user_in("编辑", username="editor")
    base = live_server.url
    page = desktop
    page.goto(base + "/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/admin/")
    page.goto(base + "/admin/wechat/simulator/")
    page.get_by_role("button", name="新建模拟粉丝").click()
    page.locator("[data-follow] button").click()
    page.locator(".wz-sim__bubble", has_text="欢迎关注微智").wait_for()

    page.fill("[data-text]", "搜索 从严治党")
    page.get_by_role("button", name="发送", exact=True).click()
    waiting = page.locator(".wz-sim__typing", has_text="结果稍后以客服消息送达")
    waiting.wait_for()
    assert InboundMessage.objects.get(content="搜索 从严治党").status == "deferred"
    shot(page, "waiting")

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")
    assert InboundMessage.objects.get(content="搜索 从严治党").status == "sent_later"
    late = page.locator(".wz-sim__exchange", has_text="正在搜索").locator(".wz-sim__tag")
    late.wait_for(timeout=10_000)  # the page polls every two seconds
    assert waiting.count() == 0
    expect(page.locator(".wz-sim__news-title", has_text="全面从严治党永远在路上")).to_be_visible()
