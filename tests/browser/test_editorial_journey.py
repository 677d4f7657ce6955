"""The office at work: an editor writes an article, three reviewers approve it in turn in
the Wagtail admin, and it appears on the reader site; a scheduled article appears on time."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests import factories
from tests.base import user_in
from tests.browser.conftest import screenshot
from weizhi.content.models import ArticlePage
from weizhi.core.tasks import publish_scheduled_pages

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PASSWORD = "p4ssw0rd-测试"


def login(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(base + "/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/admin/")


def approve_from_dashboard(page, base: str, reviewer: str, title: str) -> None:
    login(page, base, reviewer)
    row = page.locator("tr", has_text=title)
    expect(row, f"{reviewer} does not see the article awaiting review").to_be_visible()
    row.locator("button[aria-label], .w-dropdown__toggle").last.click()
    row.locator("button, a", has_text="批准").first.click()
    page.wait_for_load_state("networkidle")


def test_an_article_passes_three_reviews_and_appears_on_the_reader_site(live_server, desktop):
    factories.site_home()
    for group, name in (("编辑", "editor"), ("初审", "r1"), ("复审", "r2"), ("终审", "r3")):
        user_in(group, username=name)
    base = live_server.url
    column = factories.column("yixian")

    login(desktop, base, "editor")
    desktop.goto(f"{base}/admin/pages/{column.pk}/add_subpage/")
    desktop.locator("a", has_text="文章").first.click()
    desktop.wait_for_selector("#id_title")
    desktop.fill("#id_title", "检修班组的一天")
    desktop.fill("#id_summary", "凌晨四点，检修班组已经出发。")
    screenshot(desktop, "admin-editor-writes")
    desktop.locator("footer button", has_text="更多动作").click()
    desktop.click("button[name=action-submit]")
    desktop.wait_for_load_state("networkidle")
    article = ArticlePage.objects.get(title="检修班组的一天")
    assert not article.live
    assert article.current_workflow_task.name == "初审"

    approve_from_dashboard(desktop, base, "r1", "检修班组的一天")
    article.refresh_from_db()
    assert article.current_workflow_task.name == "复审"
    assert not article.live

    approve_from_dashboard(desktop, base, "r2", "检修班组的一天")
    article.refresh_from_db()
    assert article.current_workflow_task.name == "终审"

    approve_from_dashboard(desktop, base, "r3", "检修班组的一天")
    screenshot(desktop, "admin-final-approval")
    article.refresh_from_db()
    assert article.live

    desktop.context.clear_cookies()
    desktop.goto(f"{base}/yixian/")
    expect(desktop.locator(".card h3", has_text="检修班组的一天")).to_be_visible()


def test_a_scheduled_article_appears_at_its_time(live_server, phone):
    factories.site_home()
    page = factories.article(title="零点发布的通知", publish=False)
    page.go_live_at = timezone.now() + timedelta(seconds=3)
    page.save_revision().publish()

    phone.goto(live_server.url + "/")
    assert phone.locator(".card h3", has_text="零点发布的通知").count() == 0
    publish_scheduled_pages.enqueue()  # a tick before its time publishes nothing
    phone.reload()
    assert phone.locator(".card h3", has_text="零点发布的通知").count() == 0

    time.sleep(3.2)
    publish_scheduled_pages.enqueue()  # the scheduler's next tick
    phone.reload()
    expect(phone.locator(".card h3", has_text="零点发布的通知")).to_be_visible()
