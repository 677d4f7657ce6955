"""The WeChat pages as an office uses them: a 头条 with two 次条 published to the (fake)
Official Account, and a search in the 公众号模拟器 answered although SITE_URL names another
address than the one this server listens on."""

import shutil
import tempfile
from pathlib import Path

import pytest

from tests import factories
from tests.base import user_in
from tests.browser.conftest import screenshot
from weizhi.wechat.account import current_account, forget_account
from weizhi.wechat.fake.urls import fake_for
from weizhi.wechat.models import InboundMessage, ReplyRule
from weizhi.wechat.records.models import WeChatSend

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PASSWORD = "p4ssw0rd-测试"
ELSEWHERE = "http://127.0.0.1:9"  # nothing listens there


def shot(page, name: str) -> None:
    path = screenshot(page, f"wxpolish-{name}")
    shutil.copy(path, Path(tempfile.gettempdir()) / f"wxpolish-{name}.png")


def login(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(base + "/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/admin/")


def test_a_final_reviewer_publishes_a_three_article_message(live_server, desktop, settings):
    settings.SITE_URL = ELSEWHERE
    forget_account()
    account = current_account()
    assert account.simulated
    factories.site_home()
    head = factories.article(title="头条：汛期安全生产部署", cover=factories.image("封面一"))
    second = factories.article(title="次条：检修班组的一天", cover=factories.image("封面二"))
    third = factories.article(title="次条：党章学习心得", cover=factories.image("封面三"))
    user_in("终审", username="final")
    base = live_server.url
    page = desktop
    login(page, base, "final")
    page.goto(f"{base}/admin/wechat/send/{head.pk}/")
    page.select_option("#id_more_1", str(third.pk))
    page.select_option("#id_more_2", str(second.pk))
    page.check("input[name=mode][value=publish]")
    shot(page, "publish-form")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(base + "/admin/wechat/sends/")
    row = page.locator("table.listing tbody tr").first
    assert "另有 2 篇次条" in row.inner_text()
    assert "已提交" in row.inner_text(), row.inner_text()
    shot(page, "publish-log")
    send = WeChatSend.objects.get()
    articles = fake_for(account.app_id, account.app_secret).state.published_articles
    titles = [a["title"] for a in articles[send.publish_id]]
    assert titles == [head.title, third.title, second.title]


def test_the_simulator_delivers_the_search_answer_with_its_cover(live_server, desktop, settings):
    settings.SITE_URL = ELSEWHERE
    forget_account()
    assert current_account().simulated
    factories.site_home()
    factories.article(
        title="抗洪抢险一线的七十二小时", summary="一线纪实", cover=factories.image(size=(470, 200))
    )
    ReplyRule.objects.create(
        name="搜索文章",
        trigger="keyword",
        keywords=r"^搜索\s*(.*)$",
        match="regex",
        reply_type="action",
        action="search",
    )
    user_in("编辑", username="editor")
    base = live_server.url
    page = desktop
    login(page, base, "editor")
    page.goto(base + "/admin/wechat/simulator/")
    page.get_by_role("button", name="新建模拟粉丝").click()
    page.locator("[data-follow] button", has_text="关注").click()
    page.locator(".wz-sim__system", has_text="关注了公众号").wait_for()
    page.fill("[data-text]", "搜索 抗洪")
    page.get_by_role("button", name="发送", exact=True).click()
    page.locator(".wz-sim__bubble", has_text="正在搜索“抗洪”").wait_for()
    late = page.locator(".wz-sim__exchange", has_text="正在搜索").locator(".wz-sim__tag")
    late.wait_for()
    assert late.inner_text() == "客服消息"
    card = page.locator(".wz-sim__news").last
    assert "抗洪抢险一线的七十二小时" in card.inner_text()
    cover = card.locator("img.wz-sim__news-pic").first
    loaded = cover.evaluate(
        """img => img.complete ? img.naturalWidth > 0 : new Promise(done => {
            img.addEventListener("load", () => done(img.naturalWidth > 0));
            img.addEventListener("error", () => done(false));
        })"""
    )
    assert loaded, "cover did not load"
    assert cover.get_attribute("src").startswith(base + "/")
    assert InboundMessage.objects.filter(status="sent_later").count() == 1
    shot(page, "search-answer")
