"""Every admin URL, walked as each role, finds no member outside the role's subtree.

One member outside the secretary's subtree, and everything about them (their follower,
binding request, audit entry, log entries, their secretary account), share the id 777, so
that filling every id in every admin URL pattern with 777 reaches each of them wherever a
URL can. Each page, and its CSV/XLSX export where it has one, must not show their name or
employee number.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.adminforms import form_fields
from tests.base import user_in
from tests.test_audience_support import (  # noqa: F401
    PASSWORD,
    fast_passwords,
    member,
    secretary_of,
    tree,
)
from weizhi.audience import services
from weizhi.audience.models import AuditEntry, BindingRequest, Follower, Member
from weizhi.wechat.models import InboundMessage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

ID = "777"
OUTSIDER = ("欧阳越界", "OUT-777")
INSIDER = ("王芳", "IN-1001")
MESSAGE = "MSG-只给有公众号权限的人"
# Pages that raise on purpose, end the session, or are not pages (regex API routes).
SKIPPED = {"wagtailadmin_error_test", "wagtailadmin_logout", "wagtailadmin_login"}
STRINGS = {
    "app_label": ["audience", "auth", "wechat"],
    "model_name": ["member", "user", "inboundmessage"],
    "content_type_app_name": ["audience", "auth", "wechat"],
    "content_type_model_name": ["member", "user", "inboundmessage"],
    "app_name": ["audience", "auth", "wechat"],
}
LISTINGS = re.compile(r"index|list|results|history|site_history|aging|locked|workflow|usage")


def admin_patterns(patterns=None, prefix: str = "") -> list[tuple[str, str | None]]:
    found = []
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            found += admin_patterns(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            found.append((prefix + str(p.pattern), p.name))
    return [(u, n) for u, n in found if u.startswith("admin/")]


def urls_for(pattern: str) -> list[str]:
    if "^" in pattern or "(" in pattern or "uidb64" in pattern:
        return []
    names = re.findall(r"<(?:\w+:)?(\w+)>", pattern)
    lists = [STRINGS.get(n) for n in names if n in STRINGS]
    width = len(lists[0]) if lists else 1
    urls = []
    for i in range(width):
        url = pattern
        for name in names:
            value = STRINGS[name][i] if name in STRINGS else ID
            value = "delete" if name in ("action", "action_name") else value
            value = "original" if name == "filter_spec" else value
            url = re.sub(rf"<(?:\w+:)?{name}>", value, url, count=1)
        urls.append("/" + url)
    return urls


def text_of(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            return "".join(book.read(n).decode("utf-8", "replace") for n in book.namelist())
    return body.decode("utf-8", "replace")


@pytest.fixture
def world(home):
    t = tree()
    member(t["first"], INSIDER[1], name=INSIDER[0])
    secretary, _ = secretary_of(t["general"])
    account = User.objects.create_user(pk=int(ID), username="sec-third", password=PASSWORD)
    account.groups.add(*secretary.groups.all())
    outsider = Member.objects.create(
        pk=int(ID),
        name=OUTSIDER[0],
        employee_number=OUTSIDER[1],
        phone="13700007777",
        branch=t["third"],
        status="full",
        user=account,
    )
    services.enroll_member(outsider)
    t["third"].secretaries.add(outsider)
    follower = Follower.objects.create(pk=int(ID), openid="o-outsider", remark=OUTSIDER[0])
    services.bind_follower(follower, outsider, how="test")
    BindingRequest.objects.create(pk=int(ID), follower=follower, member=outsider)
    AuditEntry.objects.create(pk=int(ID), action="move", member=outsider, detail={"to": "x"})
    InboundMessage.objects.create(
        dedup_key="o-outsider:1",
        openid="o-outsider",
        msg_type="text",
        content=MESSAGE,
        sent_at="2026-12-01T08:00:00Z",
        raw_xml="<xml/>",
    )
    # The log entries a 系统管理员 leaves by editing the outsider and their follower.
    sysadmin = user_in("系统管理员", "sysadmin")
    client = Client()
    client.login(username="sysadmin", password=PASSWORD)
    for view, pk in (("audience_member:edit", outsider.pk), ("audience_follower:edit", ID)):
        url = reverse(view, args=[pk])
        data = form_fields(client.get(url).content.decode())
        assert client.post(url, data).status_code == 302, view
    sysadmin.delete()
    return secretary


def walk(client: Client, forbidden: tuple[str, ...]) -> tuple[list[str], int]:
    leaks, pages = [], 0
    for pattern, name in admin_patterns():
        if name in SKIPPED or name is None:
            continue
        for url in urls_for(pattern):
            response = client.get(url)
            if response.status_code != 200:
                continue
            pages += 1
            variants = [response]
            if LISTINGS.search(name or ""):
                variants += [client.get(url, {"export": fmt}) for fmt in ("csv", "xlsx")]
            for variant in variants:
                text = text_of(variant) if variant.status_code == 200 else ""
                kind = variant.get("Content-Type")
                leaks += [f"{url} {kind}: {w}" for w in forbidden if w in text]
    return leaks, pages


ROLES = ["支部书记", "留言管理员", "编辑", "初审", "管理员", "stranger"]


@pytest.mark.parametrize("role", ROLES)
def test_no_admin_url_shows_a_member_outside_the_roles_subtree(world, role):
    client = Client()
    forbidden = OUTSIDER
    if role == "支部书记":
        client.login(username=world.username, password=PASSWORD)
    elif role != "stranger":
        client.login(username=user_in(role, f"walker-{role}").username, password=PASSWORD)
    if role != "支部书记":
        forbidden += INSIDER  # no other role sees any member
    if role in ("支部书记", "初审", "stranger"):
        forbidden += (MESSAGE,)  # no WeChat rights, no followers' messages
    leaks, pages = walk(client, forbidden)
    assert not leaks, "\n".join(leaks)
    assert pages > (0 if role == "stranger" else 20)


def test_the_secretary_still_sees_their_own_subtree_in_the_site_history(world):
    client = Client()
    client.login(username=world.username, password=PASSWORD)
    insider = Member.objects.get(employee_number=INSIDER[1])
    admin = Client()
    admin.login(username=user_in("系统管理员", "sysadmin2").username, password=PASSWORD)
    url = reverse("audience_member:edit", args=[insider.pk])
    assert admin.post(url, form_fields(admin.get(url).content.decode())).status_code == 302
    for query in ("", "?export=csv"):
        body = text_of(client.get(reverse("wagtailadmin_reports:site_history") + query))
        assert INSIDER[1] in body and OUTSIDER[1] not in body


def test_a_moderator_still_lists_unbound_followers_and_a_secretary_no_messages(world):
    Follower.objects.create(openid="o-unbound", remark="未绑定的粉丝")
    moderator = Client()
    moderator.login(username=user_in("留言管理员", "moderator").username, password=PASSWORD)
    body = moderator.get(reverse("audience_follower:index")).content.decode()
    assert "未绑定的粉丝" in body and OUTSIDER[0] not in body
    secretary = Client()
    secretary.login(username=world.username, password=PASSWORD)
    chooser = secretary.get("/admin/snippets/choose/wechat/inboundmessage/")
    assert chooser.status_code in (302, 403) and MESSAGE not in text_of(chooser)
