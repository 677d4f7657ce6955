"""The office creates and edits admin users with 姓名 as one field, written in Chinese order,
and without an e-mail address if it has none."""

import re

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from tests.adminforms import form_fields
from tests.base import superuser, user_in
from tests.test_audience_support import PASSWORD, fast_passwords  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

NEW_PASSWORD = "Xq7-另一个-密码"


@pytest.fixture
def office():
    client = Client()
    client.login(username=user_in("管理员", "guanli").username, password=PASSWORD)
    return client


def labels(html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>|\s|\*", "", m)
        for m in re.findall(r"<label[^>]*>(.*?)</label>", html, re.S)
    ]


def test_the_new_user_form_asks_for_one_name_before_an_optional_email(office):
    body = office.get(reverse("wagtailusers_users:add")).content.decode()
    found = labels(body)
    assert found.index("姓名") < found.index("电子邮箱（选填）")
    assert 'name="last_name"' not in body
    assert "Last Name" not in body and "First Name" not in body
    assert not re.search(r'<input[^>]*name="email"[^>]*required', body)


def test_a_user_is_created_with_a_chinese_name_and_no_email(office):
    page = office.get(reverse("wagtailusers_users:add"))
    data = form_fields(page.content.decode())
    data.update(
        username=["zhangsan"],
        first_name=["欧阳明"],
        email=[""],
        password1=[NEW_PASSWORD],
        password2=[NEW_PASSWORD],
    )
    response = office.post(reverse("wagtailusers_users:add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="zhangsan")
    assert (user.first_name, user.last_name, user.email) == ("欧阳明", "", "")
    assert user.get_full_name() == "欧阳明"
    listing = office.get(reverse("wagtailusers_users:index")).content.decode()
    assert "欧阳明" in listing


def test_a_name_once_split_in_two_is_shown_and_saved_family_name_first(office):
    person = User.objects.create_user(
        "wangfang", password=PASSWORD, first_name="芳", last_name="王", email="w@example.org"
    )
    person.groups.add(Group.objects.get(name="编辑"))
    url = reverse("wagtailusers_users:edit", args=[person.pk])
    data = form_fields(office.get(url).content.decode())
    assert data["first_name"] == ["王芳"]
    response = office.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    person.refresh_from_db()
    assert (person.first_name, person.last_name, person.get_full_name()) == ("王芳", "", "王芳")


def test_an_empty_name_is_refused_in_chinese(office):
    page = office.get(reverse("wagtailusers_users:add"))
    data = form_fields(page.content.decode())
    data.update(username=["noname"], first_name=[""], password1=[NEW_PASSWORD])
    data.update(password2=[NEW_PASSWORD])
    response = office.post(reverse("wagtailusers_users:add"), data)
    assert response.status_code == 200
    assert "必填" in response.content.decode()
    assert not User.objects.filter(username="noname").exists()


def test_a_superuser_still_gets_the_same_form(client):
    client.force_login(superuser())
    body = client.get(reverse("wagtailusers_users:add")).content.decode()
    assert "姓名" in body and 'name="last_name"' not in body


def test_the_account_settings_ask_for_the_same_one_name(office):
    me = User.objects.get(username="guanli")
    me.first_name, me.last_name = "芳", "王"
    me.save()
    page = office.get("/admin/account/").content.decode()
    assert "姓名" in labels(page) and 'name="name_email-last_name"' not in page
    assert "Last Name" not in page and "First Name" not in page
    data = form_fields(page)
    assert data["name_email-first_name"] == ["王芳"]
    data["name_email-first_name"] = ["王芳芳"]
    data.pop("name_email-email", None)
    response = office.post("/admin/account/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    me.refresh_from_db()
    assert (me.first_name, me.last_name, me.get_full_name()) == ("王芳芳", "", "王芳芳")
