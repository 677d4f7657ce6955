"""A member on a phone, in a plain browser and then inside WeChat: first sign-in by proving
who they are, "我的", and binding their WeChat account."""

import re

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from weizhi.audience import identity
from weizhi.audience.demo import DEMO_MEMBER, load_demo_audience
from weizhi.audience.models import AuditEntry, Follower, Member

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PASSWORD = "hongqi-2026-党建"
SIGNED_OUT = re.compile(r"/me/login/\?with=password$")


def test_a_member_signs_in_for_the_first_time_and_sees_my_profile(live_server, plain_phone):
    load_demo_audience()
    plain_phone.goto(live_server.url + "/me/")
    plain_phone.wait_for_url("**/me/login/")
    screenshot(plain_phone, "member-login")

    plain_phone.get_by_role("link", name="首次登录 / 忘记密码").click()
    plain_phone.get_by_label("工号").fill(DEMO_MEMBER["employee_number"])
    plain_phone.get_by_label("姓名").fill(DEMO_MEMBER["name"])
    plain_phone.get_by_label("手机号后四位").fill("0000")
    plain_phone.get_by_role("button", name="下一步").click()
    assert plain_phone.locator(".form-error").inner_text().startswith("信息与名册不符")
    screenshot(plain_phone, "member-first-login-error")

    plain_phone.get_by_label("手机号后四位").fill(DEMO_MEMBER["phone"][-4:])
    plain_phone.get_by_role("button", name="下一步").click()
    plain_phone.wait_for_url("**/me/password/")
    plain_phone.get_by_label("新密码").fill(PASSWORD)
    plain_phone.get_by_label("再输入一次").fill(PASSWORD)
    plain_phone.get_by_role("button", name="保存并登录").click()

    plain_phone.wait_for_url(live_server.url + "/me/")
    assert plain_phone.locator(".profile h1").inner_text() == DEMO_MEMBER["name"]
    assert "机关党委/综合党总支/办公室党支部" in plain_phone.locator(".profile .org").inner_text()
    assert plain_phone.locator("[data-phone]").inner_text() == "138****1234"
    links = plain_phone.locator(".activity-links a")
    assert "听读悟（朗读）" in links.all_inner_texts()
    assert min(box["height"] for box in (a.bounding_box() for a in links.all())) >= 44
    screenshot(plain_phone, "member-me")

    # Signing out and in again with the new password.
    plain_phone.get_by_role("button", name="退出登录").click()
    plain_phone.wait_for_url(SIGNED_OUT)
    plain_phone.get_by_label("工号").fill(DEMO_MEMBER["employee_number"])
    plain_phone.get_by_label("密码").fill(PASSWORD)
    plain_phone.get_by_role("button", name="登录").click()
    plain_phone.wait_for_url(live_server.url + "/me/")

    # A new phone number only with the password again.
    plain_phone.get_by_role("link", name="修改").click()
    plain_phone.get_by_label("新手机号").fill("13600002222")
    plain_phone.get_by_label("当前密码").fill("not-the-password")
    plain_phone.get_by_role("button", name="保存").click()
    assert plain_phone.locator(".field-error").inner_text() == "当前密码不正确。"
    screenshot(plain_phone, "member-phone-needs-password")
    plain_phone.get_by_label("当前密码").fill(PASSWORD)
    plain_phone.get_by_role("button", name="保存").click()
    plain_phone.wait_for_url(live_server.url + "/me/")
    assert plain_phone.locator("[data-phone]").inner_text() == "136****2222"


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

    # Signing out ends the WeChat identity too: "我的" asks for a sign-in again.
    phone.get_by_role("button", name="退出登录").click()
    phone.wait_for_url(SIGNED_OUT)
    phone.goto(live_server.url + "/me/")
    phone.wait_for_url("**/me/login/")
    expect(phone.get_by_role("heading", name="党员登录")).to_be_visible()
