"""A 支部书记's reach follows the roster as it is now: leaving it or moving away ends it."""

import io

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from tests.test_audience_support import (  # noqa: F401
    PASSWORD,
    fast_passwords,
    member,
    secretary_of,
    tree,
    user_in,
)
from weizhi.audience.models import Member

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


@pytest.fixture
def roster():
    t = tree()
    mine = member(t["first"], "1001", name="王芳")
    other = member(t["third"], "3001", name="刘强")
    user, person = secretary_of(t["general"])
    return t, mine, other, user, person


def signed_in(user) -> Client:
    client = Client()
    client.login(username=user.username, password=PASSWORD)
    return client


def edit_in_admin(person: Member, **changes) -> None:
    """What a 系统管理员 does in 组织与党员 → 党员名册 → 编辑."""
    data = {
        "name": person.name,
        "employee_number": person.employee_number,
        "phone": person.phone,
        "department": person.department,
        "branch": person.branch_id,
        "status": person.status,
        "user": person.user_id or "",
        "active": "on",
    }
    data.update(changes)
    data = {k: v for k, v in data.items() if v is not None}
    sysadmin = User.objects.filter(username="sysadmin").first() or user_in("系统管理员", "sysadmin")
    admin = signed_in(sysadmin)
    response = admin.post(reverse("audience_member:edit", args=[person.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]


def sees(client: Client, someone: Member) -> bool:
    listing = client.get(reverse("audience_member:index")).content.decode()
    inspect = client.get(reverse("audience_member:inspect", args=[someone.pk]))
    return someone.name in listing and inspect.status_code == 200


def test_a_secretary_marked_off_the_roster_loses_their_branch_on_the_next_request(roster):
    _t, mine, _other, user, person = roster
    secretary = signed_in(user)
    assert sees(secretary, mine)
    edit_in_admin(person, active=None, left_on="2026-11-30")
    assert not sees(secretary, mine)
    assert "王芳" not in secretary.get(reverse("audience_branch:index")).content.decode()
    export = secretary.get(reverse("audience_member:index") + "?export=xlsx")
    rows = load_workbook(io.BytesIO(export.content)).worksheets[0].iter_rows(values_only=True)
    assert all(row[1] != "1001" for row in rows)


def test_a_secretary_moved_out_of_their_subtree_loses_it_and_gains_nothing(roster):
    t, mine, other, user, person = roster
    secretary = signed_in(user)
    edit_in_admin(person, branch=t["third"].pk)
    assert not sees(secretary, mine)
    assert not sees(secretary, other)


def test_a_secretary_moved_within_their_subtree_keeps_it(roster):
    t, mine, _other, user, person = roster
    secretary = signed_in(user)
    edit_in_admin(person, branch=t["second"].pk)
    assert sees(secretary, mine)


def test_a_secretary_put_back_on_the_roster_has_their_branch_again(roster):
    _t, mine, _other, user, person = roster
    secretary = signed_in(user)
    edit_in_admin(person, active=None)
    assert not sees(secretary, mine)
    edit_in_admin(person)
    assert sees(secretary, mine)
