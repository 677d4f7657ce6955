"""Resetting a member's forgotten sign-in password from the roster admin: a 支部书记 for their
own subtree, a 系统管理员 for everyone; by clearing it or by a one-time link; audited."""

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.test import Client
from django.urls import reverse

from tests.test_audience_support import (  # noqa: F401
    PASSWORD,
    fast_passwords,
    member,
    secretary_of,
    tree,
    user_in,
)
from weizhi.audience import services
from weizhi.audience.models import AuditEntry, Member

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]
OLD, NEW = "hongqi-2026-党建", "another-2026-x"


@pytest.fixture
def roster():
    t = tree()
    mine = member(t["first"], "1001", name="王芳", phone="13912345678")
    other = member(t["third"], "3001", name="刘强", phone="13700001111")
    for m in (mine, other):
        services.set_member_password(m, OLD)
    return t, Member.objects.get(pk=mine.pk), Member.objects.get(pk=other.pk)


def admin_client(user) -> Client:
    client = Client()
    client.login(username=user.username, password=PASSWORD)
    return client


def reset(client: Client, m: Member, action: str):
    return client.post(reverse("audience_member_password", args=[m.pk]), {"action": action})


def signed_in_as(m: Member) -> Client:
    client = Client()
    client.post(reverse("audience:login"), {"employee_number": m.employee_number, "password": OLD})
    assert client.get(reverse("audience:me")).status_code == 200
    return client


def prove(client: Client, m: Member):
    return client.post(
        reverse("audience:first_login"),
        {"employee_number": m.employee_number, "name": m.name, "phone_last4": m.phone[-4:]},
    )


def test_a_secretary_clears_the_password_of_a_member_of_their_subtree(roster):
    t, mine, _other = roster
    secretary, _ = secretary_of(t["general"])
    members_session = signed_in_as(mine)
    response = reset(admin_client(secretary), mine, "clear")
    assert response.status_code == 302
    assert Member.objects.get(pk=mine.pk).password == ""
    entry = AuditEntry.objects.get(action="reset")
    assert (entry.user, entry.member) == (secretary, mine)
    # The old password's sessions end, and proof is open again.
    assert members_session.get(reverse("audience:me")).status_code == 302
    member_client = Client()
    assert prove(member_client, mine).url == reverse("audience:set_password")
    member_client.post(reverse("audience:set_password"), {"password1": NEW, "password2": NEW})
    assert check_password(NEW, Member.objects.get(pk=mine.pk).password)


def test_a_secretary_issues_a_one_time_reset_link_for_their_subtree(roster):
    t, mine, _other = roster
    secretary, _ = secretary_of(t["general"])
    body = reset(admin_client(secretary), mine, "link").content.decode()
    link = body.split('readonly value="')[1].split('"')[0].replace(settings.SITE_URL, "")
    assert AuditEntry.objects.filter(action="login_link", user=secretary, member=mine).exists()
    member_client = Client()
    assert member_client.get(link).url == reverse("audience:set_password")
    member_client.post(reverse("audience:set_password"), {"password1": NEW, "password2": NEW})
    assert check_password(NEW, Member.objects.get(pk=mine.pk).password)
    assert Client().get(link).status_code == 404  # used: the password it was made for is gone


def test_a_secretary_cannot_reset_a_member_outside_their_subtree(roster):
    t, _mine, other = roster
    secretary, _ = secretary_of(t["general"])
    client = admin_client(secretary)
    for action in ("clear", "link"):
        assert reset(client, other, action).status_code == 404
    assert client.get(reverse("audience_member_password", args=[other.pk])).status_code == 404
    assert check_password(OLD, Member.objects.get(pk=other.pk).password)
    assert not AuditEntry.objects.filter(action__in=["reset", "login_link"]).exists()


def test_a_system_administrator_resets_anyone(roster):
    _t, _mine, other = roster
    reset(admin_client(user_in("系统管理员", "sysadmin")), other, "clear")
    assert Member.objects.get(pk=other.pk).password == ""


def test_staff_without_roster_rights_cannot_reset(roster):
    _t, mine, _other = roster
    for group, name in (("编辑", "editor"), ("支部书记", "no-branch")):
        response = reset(admin_client(user_in(group, name)), mine, "clear")
        assert response.status_code in (302, 403, 404), group  # Wagtail: back to the dashboard
    assert check_password(OLD, Member.objects.get(pk=mine.pk).password)


def test_the_roster_offers_the_reset_to_a_secretary(roster):
    t, mine, _other = roster
    secretary, _ = secretary_of(t["general"])
    body = admin_client(secretary).get(reverse("audience_member:index")).content.decode()
    assert reverse("audience_member_password", args=[mine.pk]) in body
    page = admin_client(secretary).get(reverse("audience_member_password", args=[mine.pk]))
    assert "已设置登录密码" in page.content.decode()
