"""Signing in, members on /me/login/ and editors on /admin/login/: the time taken tells no one
which employee numbers exist, failures back off per account and address, and strangers
elsewhere cannot lock someone out of their own account."""

import ipaddress

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.test import Client
from django.urls import reverse

from tests.base import superuser
from tests.test_audience_support import PASSWORD, fast_passwords, member, tree  # noqa: F401
from weizhi.audience import identity, services
from weizhi.audience.models import Member
from weizhi.core import ratelimit

pytestmark = pytest.mark.django_db
GOOD_PASSWORD = "hongqi-2026-党建"
NGINX = "127.0.0.1"


class CountingHasher(PBKDF2PasswordHasher):
    """The real PBKDF2 hasher at one iteration, counting how often it hashes."""

    iterations = 1
    calls = 0

    def encode(self, password, salt, iterations=None):
        CountingHasher.calls += 1
        return super().encode(password, salt, iterations)


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    return CountingHasher


@pytest.fixture
def behind_nginx(settings):
    settings.TRUSTED_PROXIES = (ipaddress.ip_network("127.0.0.1/32"),)


def from_address(address: str) -> Client:
    """A browser at ``address``, reaching the site through nginx."""
    return Client(REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR=address)


def sign_in(client: Client, number: str, password: str):
    return client.post(reverse("audience:login"), {"employee_number": number, "password": password})


@pytest.fixture
def wang(fast_passwords):  # noqa: F811
    wang = member(tree()["first"], "1001", name="王芳", phone="13912345678")
    services.set_member_password(wang, GOOD_PASSWORD)
    return wang


def test_the_hasher_runs_once_whether_or_not_the_number_exists(counting_hasher):
    branch = tree()["first"]
    with_password = member(branch, "1001")
    services.set_member_password(with_password, GOOD_PASSWORD)
    member(branch, "1002")  # on the roster, no password yet
    counts = {}
    for number, password in [
        ("1001", GOOD_PASSWORD),
        ("1001", "wrong-password"),
        ("1002", "wrong-password"),
        ("9999", "wrong-password"),
    ]:
        counting_hasher.calls = 0
        sign_in(Client(REMOTE_ADDR=f"10.9.0.{len(counts)}"), number, password)
        counts[(number, password)] = counting_hasher.calls
    assert set(counts.values()) == {1}, counts


def test_a_strangers_failures_do_not_lock_the_member_out_from_elsewhere(wang, behind_nginx):
    stranger = from_address("10.6.6.6")
    codes = [sign_in(stranger, "1001", f"guess-{n}").status_code for n in range(12)]
    assert codes[:5] == [200] * 5 and set(codes[5:]) == {429}
    response = sign_in(from_address("10.1.2.3"), "1001", GOOD_PASSWORD)
    assert response.status_code == 302 and response.url == reverse("audience:me")


def test_failures_back_off_a_minute_then_a_quarter_hour(wang):
    client = Client(REMOTE_ADDR="10.7.7.7")
    for n in range(5):
        assert sign_in(client, "1001", f"guess-{n}").status_code == 200
    response = sign_in(client, "1001", "guess-5")
    assert response.status_code == 429
    assert "尝试次数过多，请 1 分钟后再试" in response.content.decode()
    # The windows underneath, at explicit times: the second step waits up to 15 minutes.
    rules = [(ratelimit.Rule("t", ratelimit.SIGN_IN_BY_ACCOUNT), "1001|10.7.7.7")]
    start = 900 * 1000  # the start of a quarter hour
    for n in range(10):
        assert not ratelimit.attempt(rules, now=start + 60 * (n // 5)).refused
    assert ratelimit.attempt(rules, now=start + 120).wait == 900 - 120


def test_a_refused_sign_in_does_not_say_whether_the_password_was_right(wang):
    client = Client(REMOTE_ADDR="10.7.7.8")
    for n in range(10):
        sign_in(client, "1001", f"guess-{n}")
    right = sign_in(client, "1001", GOOD_PASSWORD)
    wrong = sign_in(client, "1001", "guess-x")
    for response in (right, wrong):
        body = response.content.decode()
        assert response.status_code == 429
        assert "尝试次数过多" in body and "工号或密码不正确" not in body
    assert identity.SESSION_MEMBER_KEY not in client.session


def test_a_refused_proof_does_not_say_whether_it_was_right(wang):
    client = Client(REMOTE_ADDR="10.7.7.9")
    url = reverse("audience:first_login")
    for _ in range(10):
        client.post(url, {"employee_number": "1001", "name": "王芳", "phone_last4": "0000"})
    for last4 in ("5678", "1111"):
        response = client.post(
            url, {"employee_number": "1001", "name": "王芳", "phone_last4": last4}
        )
        body = response.content.decode()
        assert response.status_code == 429
        assert "尝试次数过多" in body
        assert "信息与名册不符" not in body and "已设置密码" not in body


def test_a_refused_password_check_on_the_phone_form_does_not_say_whether_it_was_right(wang):
    client = Client(REMOTE_ADDR="10.7.7.11")
    assert sign_in(client, "1001", GOOD_PASSWORD).status_code == 302
    url = reverse("audience:edit_phone")
    for n in range(10):
        client.post(url, {"phone": "13600002222", "current_password": f"guess-{n}"})
    for password in (GOOD_PASSWORD, "guess-x"):
        response = client.post(url, {"phone": "13600002222", "current_password": password})
        body = response.content.decode()
        assert response.status_code == 429
        assert "尝试次数过多" in body and "当前密码不正确" not in body
    assert Member.objects.get(pk=wang.pk).phone == "13912345678"


def test_a_right_password_does_not_count_as_a_failure(wang):
    client = Client(REMOTE_ADDR="10.7.7.10")
    for n in range(4):
        assert sign_in(client, "1001", f"guess-{n}").status_code == 200
    assert sign_in(client, "1001", GOOD_PASSWORD).status_code == 302
    client.post(reverse("audience:logout"))
    assert sign_in(client, "1001", "guess-4").status_code == 200  # the fifth failure
    assert sign_in(client, "1001", "guess-5").status_code == 429


def test_spraying_many_numbers_from_one_address_is_limited(wang, behind_nginx):
    sprayer = from_address("10.8.8.8")
    codes = [sign_in(sprayer, f"2{n:03}", "Password123").status_code for n in range(51)]
    assert codes[:50] == [200] * 50 and codes[50] == 429
    assert sign_in(from_address("10.8.8.9"), "1001", GOOD_PASSWORD).status_code == 302


def admin_sign_in(client: Client, username: str, password: str):
    return client.post(reverse("wagtailadmin_login"), {"username": username, "password": password})


def test_admin_sign_in_is_limited_per_username_and_address(fast_passwords):  # noqa: F811
    superuser("root")
    stranger = Client(REMOTE_ADDR="10.5.5.5")
    codes = [admin_sign_in(stranger, "root", f"guess-{n}").status_code for n in range(5)]
    assert codes == [200] * 5
    refused = admin_sign_in(stranger, "root", PASSWORD)
    assert refused.status_code == 429
    assert "尝试次数过多，请 1 分钟后再试" in refused.content.decode()
    assert "_auth_user_id" not in stranger.session
    # The editor, at their own desk, is not locked out by the stranger.
    editor = Client(REMOTE_ADDR="10.5.5.6")
    response = admin_sign_in(editor, "root", PASSWORD)
    assert response.status_code == 302 and response.url == reverse("wagtailadmin_home")


def test_django_admin_signs_in_through_the_limited_form(client):
    response = client.get("/django-admin/login/?next=/django-admin/")
    assert response.status_code == 302
    assert response.url == f"{reverse('wagtailadmin_login')}?next=/django-admin/"
