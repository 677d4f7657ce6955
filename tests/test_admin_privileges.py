"""Who may make whom what, tried through Wagtail's real user and group forms.

Superuser status and the 管理员/系统管理员 roles come from superusers only; a 管理员 manages
the editorial users and groups below itself, and nothing it could use to climb.
"""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from django.urls import reverse

from tests.adminforms import form_fields
from tests.base import superuser, user_in
from tests.test_audience_support import PASSWORD, fast_passwords  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

NEW_PASSWORD = "Xq7-另一个-密码"


def signed_in(user) -> Client:
    client = Client()
    client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def admin_client():
    return signed_in(user_in("管理员", "guanli"))


def refused(response) -> bool:
    """Wagtail answers a PermissionDenied with a redirect to the dashboard and a message."""
    home = reverse("wagtailadmin_home")
    return response.status_code == 403 or (response.status_code == 302 and response.url == home)


def group(name: str) -> Group:
    return Group.objects.get(name=name)


def add_user(client: Client, username: str, **changes) -> object:
    page = client.get(reverse("wagtailusers_users:add"))
    data = form_fields(page.content.decode())
    data.update(
        {
            "username": [username],
            "email": [f"{username}@example.org"],
            "first_name": ["测"],
            "last_name": ["试"],
            "password1": [NEW_PASSWORD],
            "password2": [NEW_PASSWORD],
        }
    )
    data.update({k: v if isinstance(v, list) else [v] for k, v in changes.items()})
    return client.post(reverse("wagtailusers_users:add"), data)


def test_an_administrator_is_offered_neither_superuser_nor_the_admin_roles(admin_client):
    body = admin_client.get(reverse("wagtailusers_users:add")).content.decode()
    fields = form_fields(body)
    assert "is_superuser" not in body
    offered = {g.name for g in Group.objects.filter(pk__in=_group_choices(body))}
    assert {"编辑", "初审", "复审", "终审"} <= offered
    assert not offered & {"管理员", "系统管理员", "支部书记", "留言管理员"}
    assert "username" in fields


def _group_choices(body: str) -> list[int]:
    import re

    return [int(v) for v in re.findall(r'name="groups" value="(\d+)"', body)]


def test_an_administrator_cannot_create_a_superuser_by_posting_the_field(admin_client):
    add_user(admin_client, "climber", is_superuser="on")
    assert not User.objects.filter(is_superuser=True, username="climber").exists()


@pytest.mark.parametrize("role", ["管理员", "系统管理员", "支部书记", "留言管理员"])
def test_an_administrator_cannot_grant_a_role_beyond_their_own(admin_client, role):
    response = add_user(admin_client, "climber", groups=str(group(role).pk))
    assert response.status_code == 200
    assert not User.objects.filter(username="climber").exists()


def test_an_administrator_creates_an_editor(admin_client):
    response = add_user(admin_client, "writer", groups=str(group("编辑").pk))
    assert response.status_code == 302
    assert list(User.objects.get(username="writer").groups.all()) == [group("编辑")]


def test_an_administrator_edits_an_editor_but_cannot_raise_them(admin_client):
    editor = user_in("编辑", "writer")
    url = reverse("wagtailusers_users:edit", args=[editor.pk])
    data = form_fields(admin_client.get(url).content.decode())
    data.update(groups=[str(group("编辑").pk), str(group("系统管理员").pk)], is_superuser=["on"])
    assert admin_client.post(url, data).status_code == 200
    editor.refresh_from_db()
    assert not editor.is_superuser and list(editor.groups.all()) == [group("编辑")]
    data.update(groups=[str(group("编辑").pk), str(group("初审").pk)], first_name=["改名"])
    data.update(last_name=["王"], email=["writer@example.org"])
    del data["is_superuser"]
    assert admin_client.post(url, data).status_code == 302
    assert set(editor.groups.all()) == {group("编辑"), group("初审")}


@pytest.mark.parametrize("kind", ["superuser", "管理员", "系统管理员", "支部书记", "self"])
def test_an_administrator_cannot_touch_an_account_above_or_beside_them(kind):
    actor = user_in("管理员", "guanli")
    target = {
        "superuser": lambda: superuser("root"),
        "self": lambda: actor,
    }.get(kind, lambda: user_in(kind, "target"))()
    client = signed_in(actor)
    for view in ("edit", "delete"):
        url = reverse(f"wagtailusers_users:{view}", args=[target.pk])
        assert refused(client.get(url)), (view, kind)
    edit = reverse("wagtailusers_users:edit", args=[target.pk])
    post = {"username": target.username, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    assert refused(client.post(edit, post))
    assert refused(client.post(reverse("wagtailusers_users:delete", args=[target.pk])))
    target.refresh_from_db()
    assert target.check_password(PASSWORD)


def test_a_superuser_still_makes_superusers_and_administrators():
    client = signed_in(superuser("root"))
    add_user(client, "deputy", is_superuser="on", groups=str(group("管理员").pk))
    deputy = User.objects.get(username="deputy")
    assert deputy.is_superuser and list(deputy.groups.all()) == [group("管理员")]


def bulk(client: Client, action: str, users: list, **data):
    url = reverse("wagtail_bulk_action", args=["auth", "user", action])
    query = "?" + "&".join(f"id={u.pk}" for u in users)
    return client.post(url + query, data)


def test_the_bulk_actions_hold_to_the_same_rule(admin_client):
    root, editor = superuser("root"), user_in("编辑", "writer")
    bulk(admin_client, "assign_role", [editor], role=group("管理员").pk)
    bulk(admin_client, "assign_role", [editor], role=group("系统管理员").pk)
    assert list(editor.groups.all()) == [group("编辑")]
    bulk(admin_client, "set_active_state", [root], mark_as_active="False")
    bulk(admin_client, "delete", [root])
    root.refresh_from_db()
    assert root.is_active
    bulk(admin_client, "assign_role", [editor], role=group("初审").pk)
    assert set(editor.groups.all()) == {group("编辑"), group("初审")}


# Groups: 管理员 holds no group rights by default; one who is given them still cannot climb.


@pytest.fixture
def group_admin_client():
    actor = user_in("管理员", "guanli")
    keeper = Group.objects.create(name="用户组维护")
    keeper.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="auth", codename__in=["add_group", "change_group"]
        )
    )
    actor.groups.add(keeper)
    return signed_in(actor)


def edit_group(client: Client, target: Group, extra_permission: str):
    """Tick one more permission on the group's edit form and save it."""
    url = reverse("wagtailusers_groups:edit", args=[target.pk])
    data = form_fields(client.get(url).content.decode())
    data["permissions"] = [*data.get("permissions", []), extra_permission]
    return client.post(url, data)


def perm(app_label: str, codename: str) -> str:
    return str(Permission.objects.get(content_type__app_label=app_label, codename=codename).pk)


@pytest.mark.parametrize("name", ["管理员", "系统管理员", "支部书记", "用户组维护"])
def test_a_group_keeper_cannot_open_groups_above_or_beside_them(group_admin_client, name):
    for view in ("edit", "delete"):
        url = reverse(f"wagtailusers_groups:{view}", args=[group(name).pk])
        assert refused(group_admin_client.get(url)), view


def test_a_group_keeper_cannot_give_a_group_rights_they_lack(group_admin_client):
    editors = group("编辑")
    before = set(editors.permissions.all())
    for extra in (perm("audience", "view_member"), perm("auth", "change_user")):
        response = edit_group(group_admin_client, editors, extra)
        assert response.status_code == 200
        assert "只能授予您自己拥有的权限" in response.content.decode()
        assert set(editors.permissions.all()) == before


def test_a_group_keeper_cannot_create_a_group_with_account_rights(group_admin_client):
    url = reverse("wagtailusers_groups:add")
    data = form_fields(group_admin_client.get(url).content.decode())
    data.update(name=["新组"], permissions=[perm("auth", "change_user")])
    assert group_admin_client.post(url, data).status_code == 200
    assert not Group.objects.filter(name="新组").exists()


def test_a_group_keeper_may_give_a_group_rights_they_hold(group_admin_client):
    editors = group("编辑")
    extra = perm("wagtailredirects", "add_redirect")
    response = edit_group(group_admin_client, editors, extra)
    assert response.status_code == 302
    assert editors.permissions.filter(codename="add_redirect").exists()


def test_a_group_keeper_cannot_give_collection_rights_they_lack(group_admin_client):
    editors = group("编辑")
    url = reverse("wagtailusers_groups:edit", args=[editors.pk])
    data = form_fields(group_admin_client.get(url).content.decode())
    data.update(
        {
            "collection_permissions-TOTAL_FORMS": ["1"],
            "collection_permissions-0-collection": ["1"],
            "collection_permissions-0-permissions": [perm("wagtailcore", "add_collection")],
        }
    )
    response = group_admin_client.post(url, data)
    assert "只能授予您自己拥有的权限" in response.content.decode()
    assert not editors.collection_permissions.filter(permission__codename="add_collection")
