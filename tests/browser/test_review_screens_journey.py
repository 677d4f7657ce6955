"""On a laptop: 复审 opens a page waiting for them, presses the main button 批准, lands on
their home (not on a screen they may not see) with a message saying where the page went;
终审 then presses 批准并发布 and the page is live."""

import pytest

from tests import factories
from tests.base import user_in
from tests.browser.conftest import screenshot
from tests.test_review_workflow import act, submit

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


def press_main_button(page, base: str, article) -> None:
    page.goto(f"{base}/admin/pages/{article.pk}/edit/")
    page.locator("footer .w-dropdown-button > button").first.click()
    page.wait_for_url(base + "/admin/")


def test_each_reviewer_approves_with_the_main_button_and_is_told_what_happened(
    live_server, desktop
):
    factories.site_home()
    editor = user_in("编辑", username="editor")
    first = user_in("初审", username="r1")
    user_in("复审", username="r2")
    user_in("终审", username="r3")
    article = factories.article(title="汛期值班安排", publish=False)
    submit(article, editor)
    act(article, first, "approve")
    base = live_server.url

    login(desktop, base, "r2")
    desktop.goto(f"{base}/admin/pages/{article.pk}/edit/")
    assert desktop.locator("footer .w-dropdown-button > button").first.inner_text() == "批准"
    screenshot(desktop, "admin-review-second-step")
    press_main_button(desktop, base, article)
    body = desktop.locator("body").inner_text()
    assert "已批准《汛期值班安排》，稿件转入「终审」。" in body
    assert "没有权限" not in body
    screenshot(desktop, "admin-review-approved")

    login(desktop, base, "r3")
    desktop.goto(f"{base}/admin/pages/{article.pk}/edit/")
    assert desktop.locator("footer .w-dropdown-button > button").first.inner_text() == "批准并发布"
    press_main_button(desktop, base, article)
    assert "已批准并发布《汛期值班安排》" in desktop.locator("body").inner_text()
    article.refresh_from_db()
    assert article.live
