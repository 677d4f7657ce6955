"""A member leaves a message on their phone, the 留言管理员 dispatches it to a branch, the
branch secretary answers it in the admin, and the member reads the answer on 我的留言."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.test_audience_support import member, secretary_of, tree, user_in
from weizhi.audience.services import set_member_password
from weizhi.inbox.models import Item, Snippet

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PASSWORD = "p4ssw0rd-测试"
MEMBER_PASSWORD = "Member-pass-2026"


def admin_login(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(base + "/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/admin/")


def test_a_handler_answers_a_dispatched_item(live_server, plain_phone, desktop):
    base = live_server.url
    branches = tree()
    wang = member(branches["first"], "1001", name="王芳")
    set_member_password(wang, MEMBER_PASSWORD)
    user_in("留言管理员", "moderator")
    secretary_of(branches["general"], "sec")
    Snippet.objects.create(title="已了解", text="支部已了解情况，这周内给您答复。")

    plain_phone.goto(base + "/me/inbox/new/")
    plain_phone.fill("#id_employee_number", "1001")
    plain_phone.fill("#id_password", MEMBER_PASSWORD)
    plain_phone.click("button[type=submit]")
    plain_phone.wait_for_url(base + "/me/inbox/new/")
    plain_phone.fill("textarea[name=text]", "宿舍三楼热水器坏了三天了，报修电话没人接。")
    screenshot(plain_phone, "inbox-member-writes")
    plain_phone.click("button[type=submit]")
    plain_phone.wait_for_url(base + "/me/inbox/")
    assert plain_phone.locator(".inbox-thread").count() == 1
    item = Item.objects.get()

    admin_login(desktop, base, "moderator")
    desktop.goto(f"{base}/admin/inbox/")
    desktop.locator("a", has_text="宿舍三楼热水器").click()
    desktop.select_option("select[name=branch]", str(branches["first"].pk))
    desktop.fill("input[name=note]", "请支部了解情况")
    desktop.locator("button", has_text="派单").last.click()
    desktop.wait_for_load_state("networkidle")
    assert "办理中" in desktop.locator("[data-status]").inner_text()

    admin_login(desktop, base, "sec")
    desktop.goto(f"{base}/admin/inbox/")
    desktop.locator("a", has_text="宿舍三楼热水器").click()
    desktop.select_option("select[name=snippet]", label="已了解")
    expect(desktop.locator("select[name=branch]")).to_have_count(0)  # handlers do not dispatch
    screenshot(desktop, "inbox-handler-answers")
    desktop.locator("button", has_text="发送答复").click()
    expect(desktop.locator("[data-status]")).to_contain_text("已答复")
    assert "已送达" in desktop.locator(".inbox-delivery").first.inner_text()
    item.refresh_from_db()
    assert item.status == "replied" and item.messages.last().sent_by.username == "sec"

    plain_phone.goto(base + "/me/inbox/")
    assert "支部已了解情况" in plain_phone.locator(".inbox-reply").inner_text()
    screenshot(plain_phone, "inbox-member-reads-reply")
