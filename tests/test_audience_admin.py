"""Admin screens for the roster: who sees which members, by list, by URL and by export."""

import io

import pytest
from django.conf import settings
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
from weizhi.audience.models import AuditEntry, Branch, Member, RoleTag

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


@pytest.fixture
def roster():
    t = tree()
    mine = member(t["first"], "1001", name="王芳", phone="13912345678")
    other = member(t["third"], "3001", name="刘强", phone="13700001111")
    return t, mine, other


def login(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def sheet_rows(response) -> list[tuple]:
    wb = load_workbook(io.BytesIO(response.content))
    return list(wb.worksheets[0].iter_rows(values_only=True))


def test_a_branch_secretary_lists_only_their_subtree(client, roster):
    t, _mine, _other = roster
    user, _ = secretary_of(t["general"])
    response = login(client, user).get(reverse("audience_member:index"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "王芳" in body and "刘强" not in body


def test_a_branch_secretary_cannot_open_another_branchs_member_by_url(client, roster):
    t, mine, other = roster
    user, _ = secretary_of(t["general"])
    login(client, user)
    assert client.get(reverse("audience_member:inspect", args=[mine.pk])).status_code == 200
    for name in ("inspect", "edit", "delete", "history", "usage"):
        response = client.get(reverse(f"audience_member:{name}", args=[other.pk]))
        assert response.status_code in (302, 404), name
        assert "刘强" not in response.content.decode()
        assert "13700001111" not in response.content.decode()


def test_a_branch_secretary_exports_only_their_subtree_with_masked_phones(client, roster):
    t, _mine, _other = roster
    user, _ = secretary_of(t["general"])
    response = login(client, user).get(reverse("audience_member:index") + "?export=xlsx")
    rows = sheet_rows(response)
    names = [r[0] for r in rows[1:]]
    assert "王芳" in names and "刘强" not in names
    wang = next(r for r in rows if r[0] == "王芳")
    assert wang[2] == "139****5678"
    assert wang[4] == "机关党委/综合党总支/第一党支部"


def test_a_branch_secretary_cannot_widen_the_export_with_a_branch_filter(client, roster):
    t, _mine, _other = roster
    user, _ = secretary_of(t["general"])
    url = reverse("audience_member:index") + f"?branch={t['third'].pk}&export=xlsx"
    rows = sheet_rows(login(client, user).get(url))
    assert all(r[0] != "刘强" for r in rows)


def test_a_secretary_without_a_branch_sees_no_one(client, roster):
    user = user_in("支部书记", "nobranch")
    response = login(client, user).get(reverse("audience_member:index"))
    body = response.content.decode()
    assert "王芳" not in body and "刘强" not in body


def test_a_system_administrator_sees_everyone_with_full_phones(client, roster):
    user = user_in("系统管理员", "sysadmin")
    response = login(client, user).get(reverse("audience_member:index"))
    body = response.content.decode()
    assert "13912345678" in body and "13700001111" in body
    rows = sheet_rows(client.get(reverse("audience_member:index") + "?export=xlsx"))
    assert {r[2] for r in rows[1:]} >= {"13912345678", "13700001111"}


def test_phones_are_masked_in_the_secretarys_list(client, roster):
    t, _mine, _other = roster
    user, _ = secretary_of(t["general"])
    body = login(client, user).get(reverse("audience_member:index")).content.decode()
    assert "139****5678" in body and "13912345678" not in body


def test_every_export_is_logged_with_who_and_the_filter(client, roster):
    t, *_ = roster
    user = user_in("系统管理员", "sysadmin")
    login(client, user).get(
        reverse("audience_member:index") + f"?status=full&branch={t['general'].pk}&export=xlsx"
    )
    entry = AuditEntry.objects.get(action="export")
    assert entry.user == user
    assert entry.detail == {
        "filters": {"status": "full", "branch": str(t["general"].pk)},
        "rows": 1,
    }


def test_filters_by_branch_subtree_status_and_tag(client, roster):
    t, mine, _other = roster
    mine.role_tags.add(RoleTag.objects.create(name="政工干部"))
    member(t["second"], "2001", name="陈静", status="masses")
    login(client, user_in("系统管理员", "sysadmin"))
    url = reverse("audience_member:index")

    def names(query: str) -> set[str]:
        body = client.get(url + query).content.decode()
        return {n for n in ("王芳", "刘强", "陈静") if n in body}

    assert names(f"?branch={t['general'].pk}") == {"王芳", "陈静"}
    assert names("?status=masses") == {"陈静"}
    assert names(f"?role_tags={RoleTag.objects.get().pk}") == {"王芳"}
    assert names("?q=刘") == {"刘强"}


def test_the_member_list_costs_the_same_queries_for_five_or_fifty_members(
    client, roster, django_assert_max_num_queries
):
    t, *_ = roster
    login(client, user_in("系统管理员", "sysadmin"))
    url = reverse("audience_member:index")
    client.get(url)
    with django_assert_max_num_queries(30) as small:
        client.get(url)
    for i in range(48):
        member(t["second" if i % 2 else "third"], f"9{i:03d}", name=f"成员{i}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)


def test_editing_a_members_branch_in_the_admin_keeps_their_history(client, roster):
    t, mine, _ = roster
    login(client, user_in("系统管理员", "sysadmin"))
    data = {
        "name": "王芳",
        "employee_number": "1001",
        "phone": "13912345678",
        "department": "",
        "branch": t["third"].pk,
        "status": "full",
        "active": "on",
    }
    response = client.post(reverse("audience_member:edit", args=[mine.pk]), data)
    assert response.status_code == 302
    assert [m.branch.name for m in mine.memberships.all()] == ["第一党支部", "第三党支部"]
    data["phone"] = "12345"
    response = client.post(reverse("audience_member:edit", args=[mine.pk]), data)
    assert "手机号应为 11 位数字" in response.content.decode()


def test_the_branch_list_shows_the_tree_indented(client, roster):
    login(client, user_in("系统管理员", "sysadmin"))
    body = client.get(reverse("audience_branch:index")).content.decode()
    assert (
        body.index("机关党委")
        < body.index("\u3000综合党总支")
        < body.index("\u3000\u3000第一党支部")
    )


def test_a_secretary_sees_only_their_own_branches_in_the_tree(client, roster):
    t, *_ = roster
    user, _ = secretary_of(t["general"])
    login(client, user)
    body = client.get(reverse("audience_branch:index")).content.decode()
    assert "第一党支部" in body and "第三党支部" not in body
    response = client.get(reverse("audience_branch:inspect", args=[t["third"].pk]))
    assert response.status_code == 404
    assert Branch.objects.count() == 6 and Member.objects.count() == 3


def test_an_administrator_issues_a_one_time_link_that_signs_the_member_in(client, roster):
    _t, mine, _other = roster
    login(client, user_in("系统管理员", "sysadmin"))
    url = reverse("audience_member_password", args=[mine.pk])
    body = client.post(url, {"action": "link"}).content.decode()
    link = body.split('readonly value="')[1].split('"')[0]
    assert AuditEntry.objects.filter(action="login_link", member=mine).exists()
    client.logout()
    response = client.get(link.replace(settings.SITE_URL, ""))
    assert response.status_code == 302, link
    assert response.url == reverse("audience:set_password")


def test_an_exported_name_that_starts_like_a_formula_stays_text(client, roster):
    t, _mine, _other = roster
    names = ['=HYPERLINK("http://x","点我")', "+1", "-1", "@SUM(A1)"]
    for i, name in enumerate(names):
        member(t["second"], f"20{i}", name=name)
    user = user_in("系统管理员", "sysadmin")
    response = login(client, user).get(reverse("audience_member:index") + "?export=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    cells = {row[0].value: row[0] for row in sheet.iter_rows(min_row=2)}
    for name in names:
        assert cells[name].data_type == "s" and cells[name].quotePrefix, name
