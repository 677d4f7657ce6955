"""A member on a phone, in a plain browser and then inside WeChat: first sign-in by proving
who they are, "我的", and binding their WeChat account."""

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore

from tests.browser.conftest import screenshot
from weizhi.audience import identity
from weizhi.audience.demo import DEMO_MEMBER, load_demo_audience
from weizhi.audience.models import AuditEntry, Follower, Member

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PASSWORD = "hongqi-2026-党建"


def test_a_member_signs_in_for_the_first_time_and_sees_my_profile(live_server, phone):
    load_demo_audience()
    phone.goto(live_server.url + "/me/")
    phone.wait_for_url("**/me/login/")
    screenshot(phone, "member-login")

    phone.get_by_role("link", name="首次登录 / 忘记密码").click()
    phone.get_by_label("工号").fill(DEMO_MEMBER["employee_number"])
    phone.get_by_label("姓名").fill(DEMO_MEMBER["name"])
    phone.get_by_label("手机号后四位").fill("0000")
    phone.get_by_role("button", name="下一步").click()
    assert phone.locator(".form-error").inner_text().startswith("信息与名册不符")
    screenshot(phone, "member-first-login-error")

    phone.get_by_label("手机号后四位").fill(DEMO_MEMBER["phone"][-4:])
    phone.get_by_role("button", name="下一步").click()
    phone.wait_for_url("**/me/password/")
    phone.get_by_label("新密码").fill(PASSWORD)
    phone.get_by_label("再输入一次").fill(PASSWORD)
    phone.get_by_role("button", name="保存并登录").click()

    phone.wait_for_url(live_server.url + "/me/")
    assert phone.locator(".profile h1").inner_text() == DEMO_MEMBER["name"]
    assert "机关党委/综合党总支/办公室党支部" in phone.locator(".profile .org").inner_text()
    assert phone.locator("[data-phone]").inner_text() == "138****1234"
    assert phone.get_by_text("还没有活动记录").is_visible()
    screenshot(phone, "member-me")

    # Signing out and in again with the new password.
    phone.get_by_role("button", name="退出登录").click()
    phone.wait_for_url("**/me/login/")
    phone.get_by_label("工号").fill(DEMO_MEMBER["employee_number"])
    phone.get_by_label("密码").fill(PASSWORD)
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_url(live_server.url + "/me/")


def test_a_follower_binds_their_wechat_by_proof_and_sees_my_profile(live_server, phone):
    load_demo_audience()
    follower = Follower.objects.create(openid="o-browser-1", remark="红梅")
    session = SessionStore()
    session[identity.SESSION_FOLLOWER_KEY] = follower.pk
    session.save()
    phone.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )

    phone.goto(live_server.url + "/me/bind/")
    phone.get_by_label("工号").fill(DEMO_MEMBER["employee_number"])
    phone.get_by_label("姓名").fill(DEMO_MEMBER["name"])
    phone.get_by_label("手机号后四位").fill(DEMO_MEMBER["phone"][-4:])
    screenshot(phone, "member-bind")
    phone.get_by_role("button", name="绑定").click()

    phone.wait_for_url(live_server.url + "/me/")
    assert "绑定成功" in phone.locator(".notice").inner_text()
    assert "已绑定微信" in phone.locator(".bind-state").inner_text()
    screenshot(phone, "member-me-bound")
    member = Member.objects.get(employee_number=DEMO_MEMBER["employee_number"])
    assert Follower.objects.get(pk=follower.pk).member == member
    assert AuditEntry.objects.filter(action="bind", member=member).exists()
