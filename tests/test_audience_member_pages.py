"""The member pages in a plain browser: first sign-in by proof, password sign-in, "我的"."""

from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.urls import reverse

from tests.test_audience_support import fast_passwords, member, tree  # noqa: F401
from weizhi.audience import identity, services
from weizhi.audience.models import AuditEntry, Follower, Member
from weizhi.wechat.signin.links import login_link

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]
GOOD_PASSWORD = "hongqi-2026-党建"


@pytest.fixture
def wang():
    return member(tree()["first"], "1001", name="王芳", phone="13912345678")


def prove(client, number="1001", name="王芳", last4="5678"):
    return client.post(
        reverse("audience:first_login"),
        {"employee_number": number, "name": name, "phone_last4": last4},
    )


def test_me_sends_a_stranger_to_the_login_page(client):
    response = client.get(reverse("audience:me"))
    assert response.status_code == 302 and response.url == reverse("audience:login")


def test_a_member_proves_who_they_are_sets_a_password_and_sees_their_profile(client, wang):
    response = prove(client)
    assert response.url == reverse("audience:set_password")
    response = client.post(
        reverse("audience:set_password"), {"password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD}
    )
    assert response.url == reverse("audience:me")
    body = client.get(reverse("audience:me")).content.decode()
    assert "王芳" in body and "第一党支部" in body and "正式党员" in body
    assert "139****5678" in body and "13912345678" not in body
    for name in ("quiz:home", "readaloud:home", "notes:submit", "voices:submit", "points:mine"):
        assert f'href="{reverse(name)}"' in body
    assert AuditEntry.objects.filter(action="password", member=wang).exists()


def test_a_wrong_answer_gets_one_chinese_message_whatever_was_wrong(client, wang):
    for answers in (("1001", "王芳", "0000"), ("1001", "王五", "5678"), ("9999", "王芳", "5678")):
        body = prove(client, *answers).content.decode()
        assert "信息与名册不符" in body
    assert "请输入 4 位数字" in prove(client, last4="56").content.decode()
    assert client.get(reverse("audience:set_password")).url == reverse("audience:first_login")


def test_proof_attempts_are_rate_limited(client, wang):
    for _ in range(10):
        assert prove(client, last4="0000").status_code == 200
    response = prove(client)  # even the right answer, once the limit is reached
    assert response.status_code == 429
    assert "尝试次数过多" in response.content.decode()
    assert identity.SESSION_PROVED_KEY not in client.session


def test_a_member_signs_in_with_employee_number_and_password(client, wang):
    services.set_member_password(wang, GOOD_PASSWORD)
    bad = client.post(reverse("audience:login"), {"employee_number": "1001", "password": "x"})
    assert "工号或密码不正确" in bad.content.decode()
    response = client.post(
        reverse("audience:login"), {"employee_number": "1001", "password": GOOD_PASSWORD}
    )
    assert response.url == reverse("audience:me")
    client.post(reverse("audience:logout"))
    assert client.get(reverse("audience:me")).status_code == 302


def test_signing_in_goes_on_to_the_page_that_asked_for_it(client, wang):
    services.set_member_password(wang, GOOD_PASSWORD)
    asked = client.get(reverse("audience:edit_phone"))
    assert asked.url == "/me/login/?next=%2Fme%2Fphone%2F"
    response = client.post(asked.url, {"employee_number": "1001", "password": GOOD_PASSWORD})
    assert response.url == "/me/phone/"
    assert client.get(asked.url).url == "/me/phone/"  # already signed in


@pytest.mark.parametrize(
    "elsewhere", ["//evil.example/", "https://evil.example/", "/\\evil.example"]
)
def test_signing_in_never_goes_on_to_another_site(client, wang, elsewhere):
    services.set_member_password(wang, GOOD_PASSWORD)
    response = client.post(
        reverse("audience:login") + "?" + urlencode({"next": elsewhere}),
        {"employee_number": "1001", "password": GOOD_PASSWORD},
    )
    assert response.url == reverse("audience:me")


def test_a_member_without_a_password_cannot_sign_in_with_an_empty_one(client, wang):
    response = client.post(reverse("audience:login"), {"employee_number": "1001", "password": ""})
    assert client.get(reverse("audience:me")).status_code == 302
    assert "密码" in response.content.decode()


def test_changing_the_password_signs_out_other_sessions(client, wang, django_user_model):
    from django.test import Client

    services.set_member_password(wang, GOOD_PASSWORD)
    client.post(reverse("audience:login"), {"employee_number": "1001", "password": GOOD_PASSWORD})
    services.set_member_password(Member.objects.get(pk=wang.pk), GOOD_PASSWORD + "x")
    assert client.get(reverse("audience:me")).status_code == 302
    assert Client().get(reverse("audience:me")).status_code == 302


def test_a_one_time_link_works_until_the_password_is_set(client, wang):
    url = reverse("audience:login_link", args=[identity.login_link_token(wang)])
    assert client.get(url).url == reverse("audience:set_password")
    client.post(
        reverse("audience:set_password"), {"password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD}
    )
    response = client.get(url)
    assert response.status_code == 404 and "登录链接已失效" in response.content.decode()
    assert client.get(reverse("audience:login_link", args=["forged"])).status_code == 404


def test_a_member_edits_their_own_phone_with_validation(client, wang):
    identity_login(client, wang)
    bad = change_phone(client, "1234", current_password=GOOD_PASSWORD)
    assert "手机号应为 11 位数字" in bad.content.decode()
    change_phone(client, "13600002222", current_password=GOOD_PASSWORD)
    assert Member.objects.get(pk=wang.pk).phone == "13600002222"
    assert AuditEntry.objects.get(action="profile").detail == {
        "phone": ["139****5678", "136****2222"]
    }


def test_the_member_pages_only_ever_show_the_signed_in_member(client, wang):
    other = member(wang.branch, "1002", name="刘强", phone="13700001111")
    identity_login(client, wang)
    body = client.get(reverse("audience:me") + f"?member={other.pk}").content.decode()
    assert "刘强" not in body and "王芳" in body


def test_a_post_without_a_csrf_token_is_refused():
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post(reverse("audience:login"), {"employee_number": "1"})
    assert response.status_code == 403


def identity_login(client, m: Member) -> None:
    services.set_member_password(m, GOOD_PASSWORD)
    client.post(
        reverse("audience:login"), {"employee_number": m.employee_number, "password": GOOD_PASSWORD}
    )


# A session recognised through WeChat must not be enough to take the account over.


def as_bound_follower(client, m: Member, openid: str = "o-wang") -> Follower:
    """Sign in the way WeChat readers do: the one-time link sent in the chat."""
    follower = Follower.objects.create(openid=openid, member=m)
    response = client.get(login_link(openid).replace(settings.SITE_URL, ""))
    assert response.status_code == 302 and client.get(reverse("audience:me")).status_code == 200
    return follower


def change_phone(client, phone: str, **proof: str):
    return client.post(reverse("audience:edit_phone"), {"phone": phone, **proof})


def test_changing_the_phone_needs_the_current_password(client, wang):
    services.set_member_password(wang, GOOD_PASSWORD)
    as_bound_follower(client, wang)
    assert "请输入当前密码" in change_phone(client, "13600002222").content.decode()
    wrong = change_phone(client, "13600002222", current_password="guess")
    assert "当前密码不正确" in wrong.content.decode()
    assert Member.objects.get(pk=wang.pk).phone == "13912345678"
    response = change_phone(client, "13600002222", current_password=GOOD_PASSWORD)
    assert response.url == reverse("audience:me")
    assert Member.objects.get(pk=wang.pk).phone == "13600002222"


def test_without_a_password_changing_the_phone_needs_a_fresh_proof(client, wang):
    as_bound_follower(client, wang)
    page = client.get(reverse("audience:edit_phone")).content.decode()
    assert "原手机号后四位" in page and "当前密码" not in page
    wrong = change_phone(client, "13600002222", phone_last4="0000")
    assert "原手机号后四位不正确" in wrong.content.decode()
    assert Member.objects.get(pk=wang.pk).phone == "13912345678"
    change_phone(client, "13600002222", phone_last4="5678")
    assert Member.objects.get(pk=wang.pk).phone == "13600002222"


def test_a_member_with_no_password_and_no_phone_cannot_set_one_from_a_wechat_session(client):
    nophone = member(tree()["first"], "1009", name="赵六", phone="")
    as_bound_follower(client, nophone)
    response = change_phone(client, "13600002222", phone_last4="0000")
    assert "联系支部书记" in response.content.decode()
    assert Member.objects.get(pk=nophone.pk).phone == ""


def test_guessing_the_proof_on_the_phone_form_is_rate_limited(client, wang):
    as_bound_follower(client, wang)
    for _ in range(10):
        change_phone(client, "13600002222", phone_last4="0000")
    response = change_phone(client, "13600002222", phone_last4="5678")
    assert response.status_code == 429 and "尝试次数过多" in response.content.decode()
    assert Member.objects.get(pk=wang.pk).phone == "13912345678"


def test_first_login_proof_is_refused_once_a_password_is_set(client, wang):
    services.set_member_password(wang, GOOD_PASSWORD)
    body = prove(client).content.decode()
    assert "已设置密码，请用密码登录；忘记密码请联系支部书记" in body
    assert identity.SESSION_PROVED_KEY not in client.session
    assert client.get(reverse("audience:set_password")).url == reverse("audience:first_login")


def test_a_proof_made_before_the_password_was_set_cannot_replace_it(client, wang):
    prove(client)
    services.set_member_password(Member.objects.get(pk=wang.pk), GOOD_PASSWORD)
    response = client.post(
        reverse("audience:set_password"),
        {"password1": "another-2026-x", "password2": "another-2026-x"},
    )
    assert response.url == reverse("audience:first_login")
    assert check_password(GOOD_PASSWORD, Member.objects.get(pk=wang.pk).password)


def test_a_signed_in_member_changes_the_password_only_with_the_current_one(client, wang):
    identity_login(client, wang)
    new = {"password1": "another-2026-x", "password2": "another-2026-x"}
    refused = client.post(reverse("audience:set_password"), new)
    assert "请输入当前密码" in refused.content.decode()
    assert check_password(GOOD_PASSWORD, Member.objects.get(pk=wang.pk).password)
    client.post(reverse("audience:set_password"), {**new, "current_password": GOOD_PASSWORD})
    assert check_password("another-2026-x", Member.objects.get(pk=wang.pk).password)


# Signing out.


def test_signing_out_ends_the_wechat_identity_too(client, wang):
    as_bound_follower(client, wang)
    response = client.post(reverse("audience:logout"))
    assert response.status_code == 302
    assert client.get(reverse("audience:me")).status_code == 302
    assert identity.SESSION_FOLLOWER_KEY not in client.session
    assert client.get(reverse("audience:bind")).status_code == 403  # no follower any more


def test_signing_out_ends_every_identity_in_the_session(client, wang, django_user_model):
    staff = django_user_model.objects.create_user("staff", password=GOOD_PASSWORD)
    client.force_login(staff)
    identity_login(client, wang)
    as_bound_follower(client, wang)
    client.post(reverse("audience:logout"))
    assert "_auth_user_id" not in client.session
    assert not [key for key, _ in client.session.items() if key.startswith("audience.")]
    assert client.get(reverse("audience:me")).status_code == 302


def test_after_signing_out_inside_wechat_the_password_form_shows(client, wang):
    as_bound_follower(client, wang)
    response = client.post(reverse("audience:logout"))
    assert response.url == reverse("audience:login") + "?with=password"
