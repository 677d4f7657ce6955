"""The walls around meetings and survey results: each role sees only the meetings and rows
it may (编辑, 初审, 支部书记 of this or another branch, 留言管理员, a stranger, anonymous)."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from tests.base import user_in
from tests.test_audience_support import member, secretary_of, tree
from tests.test_surveys_support import respond, survey
from weizhi.core.xlsx import read_rows
from weizhi.surveys import checkin
from weizhi.surveys.models import Meeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    o = tree()
    member(o["first"], "1001", name="张三")
    member(o["second"], "2001", name="李四")
    member(o["third"], "3001", name="王五")
    return o


def meeting_of(title: str, *branches, created_by=None) -> Meeting:
    now = timezone.now()
    m = Meeting.objects.create(
        title=title,
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=2),
        created_by=created_by,
    )
    m.expected_branches.set(branches)
    return m


def client_of(user) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


@pytest.fixture
def meetings(org):
    first = meeting_of("第一支部会", org["first"])
    general = meeting_of("总支大会", org["general"])
    third = meeting_of("第三支部会", org["third"])
    for m in (first, general, third):
        for who in checkin.expected(m):  # everyone expected came
            checkin.check_in(m, who, checkin.code(m))
    return {"first": first, "general": general, "third": third}


def listed(client: Client) -> set[str]:
    body = client.get("/admin/meeting_admin/").content.decode()
    return {t for t in ("第一支部会", "总支大会", "第三支部会", "书记自建会") if t in body}


def test_an_editor_sees_every_meeting_and_every_row(org, meetings):
    editor = client_of(user_in("编辑", "ed"))
    assert listed(editor) == {"第一支部会", "总支大会", "第三支部会"}
    live = editor.get(f"/admin/meetings/{meetings['general'].pk}/live/").json()
    assert {c["name"] for c in live["checked"]} == {"张三", "李四"}
    rows = list(
        read_rows(
            io.BytesIO(editor.get(f"/admin/meetings/{meetings['third'].pk}/export.xlsx").content)
        )
    )
    assert rows[1][1][0] == "王五"


def test_a_secretary_sees_meetings_of_their_subtree_and_only_their_rows(org, meetings):
    user, _ = secretary_of(org["second"], "sec2")
    c = client_of(user)
    assert listed(c) == {"总支大会"}
    live = c.get(f"/admin/meetings/{meetings['general'].pk}/live/").json()
    assert {r["name"] for r in live["checked"]} == {"李四"}
    assert {r["name"] for r in live["missing"]} == {"李书记"}
    host = c.get(f"/admin/meetings/{meetings['general'].pk}/host/").content.decode()
    assert "李四" in host and "张三" not in host
    rows = list(
        read_rows(
            io.BytesIO(c.get(f"/admin/meetings/{meetings['general'].pk}/export.xlsx").content)
        )
    )
    names = [r[1][0] for r in rows if r[1] and r[1][0] not in ("姓名",)]
    assert "李四" in names and "张三" not in names and "王五" not in names
    for other in ("first", "third"):
        pk = meetings[other].pk
        for url in (
            f"/admin/meetings/{pk}/host/",
            f"/admin/meetings/{pk}/live/",
            f"/admin/meetings/{pk}/export.xlsx",
            f"/admin/meeting_admin/edit/{pk}/",
            f"/admin/meeting_admin/delete/{pk}/",
        ):
            assert c.get(url).status_code in (403, 404), url


def test_a_secretary_of_another_branch_sees_their_own_meeting_only(org, meetings):
    user, _ = secretary_of(org["third"], "sec3")
    c = client_of(user)
    assert listed(c) == {"第三支部会"}
    live = c.get(f"/admin/meetings/{meetings['third'].pk}/live/").json()
    assert {r["name"] for r in live["checked"]} == {"王五"}
    assert c.get(f"/admin/meetings/{meetings['general'].pk}/live/").status_code == 404


def test_a_secretary_creates_a_meeting_kept_as_theirs_with_only_their_branches(org, meetings):
    user, _ = secretary_of(org["third"], "sec3")
    c = client_of(user)
    form = c.get("/admin/meeting_admin/new/").content.decode()
    assert "第三党支部" in form and "第一党支部" not in form
    now = timezone.localtime()
    data = {
        "title": "书记自建会",
        "location": "三楼",
        "starts_at": now.strftime("%Y-%m-%d %H:%M"),
        "ends_at": (now + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"),
        "expected_branches": [org["first"].pk],
    }
    r = c.post("/admin/meeting_admin/new/", data)
    assert r.status_code == 200 and not Meeting.objects.filter(title="书记自建会").exists()
    data["expected_branches"] = []
    r = c.post("/admin/meeting_admin/new/", data)
    assert r.status_code == 302, r.content.decode()[:2000]
    mine = Meeting.objects.get(title="书记自建会")
    assert mine.created_by == user
    assert listed(c) == {"第三支部会", "书记自建会"}
    assert "书记自建会" not in listed(client_of(secretary_of(org["first"], "sec1")[0]))


def test_others_see_no_meetings_at_all(org, meetings):
    pk = meetings["general"].pk
    stranger = get_user_model().objects.create_user("stranger", password="p4ssw0rd-测试")
    for user in (user_in("初审", "rev"), user_in("留言管理员", "mod"), stranger, None):
        c = client_of(user)
        assert listed(c) == set()
        for url in (f"/admin/meetings/{pk}/live/", f"/admin/meetings/{pk}/export.xlsx"):
            assert c.get(url).status_code in (302, 403), (user, url)


def test_survey_results_and_exports_keep_the_same_wall(org):
    s = survey([{"kind": "single", "title": "满意吗", "options": "满意\n不满意"}])
    Member = org["first"].members.model
    respond(s, {"Q1": "A"}, member=Member.objects.get(employee_number="1001"))
    respond(s, {"Q1": "B"}, member=Member.objects.get(employee_number="3001"))
    urls = [f"/admin/surveys/{s.pk}/{p}" for p in ("results/", "export.xlsx", "print/")]

    def export_names(c):
        rows = list(read_rows(io.BytesIO(c.get(urls[1]).content)))
        return {cell for _, row in rows for cell in row} & {"张三", "王五"}

    editor = client_of(user_in("编辑", "ed"))
    assert editor.get(urls[0]).status_code == 200
    assert export_names(editor) == {"张三", "王五"}
    sec = client_of(secretary_of(org["third"], "sec3")[0])
    assert export_names(sec) == {"王五"}
    stranger = get_user_model().objects.create_user("stranger", password="p4ssw0rd-测试")
    for user in (user_in("初审", "rev"), user_in("留言管理员", "mod"), stranger, None):
        c = client_of(user)
        for url in urls:
            assert c.get(url).status_code in (302, 403), (user, url)


def test_a_secretary_editing_keeps_the_branches_set_above_them(org, meetings):
    m = meetings["third"]
    m.expected_branches.add(org["first"])
    user, _ = secretary_of(org["third"], "sec3")
    c = client_of(user)
    url = f"/admin/meeting_admin/edit/{m.pk}/"
    form = c.get(url).content.decode()
    assert "第三党支部" in form and "第一党支部" not in form
    start = timezone.localtime(m.starts_at)
    data = {
        "title": "第三支部会（改）",
        "location": "",
        "starts_at": start.strftime("%Y-%m-%d %H:%M"),
        "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M"),
        "expected_branches": [org["third"].pk],
    }
    r = c.post(url, data)
    assert r.status_code == 302, r.content.decode()[:2000]
    m.refresh_from_db()
    assert m.title == "第三支部会（改）"
    assert set(m.expected_branches.all()) == {org["first"], org["third"]}
