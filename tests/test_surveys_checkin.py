"""Meeting check-in: the rotating code, one check-in each, the host's live lists, export."""

import io
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.base import superuser, user_in
from tests.test_audience_support import member, secretary_of, tree
from tests.test_surveys_support import signed_in
from weizhi.core.xlsx import read_rows
from weizhi.surveys import checkin
from weizhi.surveys.models import CheckIn, Meeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return tree()


@pytest.fixture
def meeting(org):
    now = timezone.now()
    m = Meeting.objects.create(
        title="七月主题党日", starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=2)
    )
    m.expected_branches.set([org["general"]])
    return m


def test_the_code_changes_every_thirty_seconds_and_lives_one_more_window(meeting):
    t = 1_800_000_000.0 - 1_800_000_000.0 % 30
    code = checkin.code(meeting, t)
    assert code != checkin.code(meeting, t + 30)
    assert code == checkin.code(meeting, t + 29)
    checkin.check_code(meeting, code, t + 59)
    with pytest.raises(checkin.CheckInError, match="已过期"):
        checkin.check_code(meeting, code, t + 60)


def test_a_forged_code_or_another_meetings_code_is_refused(meeting):
    other = Meeting.objects.create(
        title="另一个会", starts_at=meeting.starts_at, ends_at=meeting.ends_at
    )
    n = checkin.window()
    for forged in (f"{n}-{'0' * 20}", "abc", checkin.code(other), f"{n + 5}-x"):
        with pytest.raises(checkin.CheckInError, match="签到码无效"):
            checkin.check_code(meeting, forged)


def test_a_member_scans_and_checks_in_once(org, meeting):
    zhang = member(org["first"], "1001", name="张三")
    url = f"/s/checkin/{meeting.pk}/{checkin.code(meeting)}/"
    client = signed_in(zhang)
    page = client.get(url).content.decode()
    assert "确认签到" in page and "张三" in page
    assert "签到成功" in client.post(url).content.decode()
    assert "已经签到过" in client.post(url).content.decode()
    assert CheckIn.objects.filter(meeting=meeting, member=zhang).count() == 1
    assert Client().get(url)["Location"].startswith("/me/login/")


def test_an_expired_code_is_refused_with_a_message(org, meeting):
    zhang = member(org["first"], "1001")
    old = checkin.code(meeting, time.time() - 90)
    r = signed_in(zhang).post(f"/s/checkin/{meeting.pk}/{old}/")
    assert r.status_code == 400 and "已过期" in r.content.decode()
    assert not CheckIn.objects.exists()


def test_check_in_outside_the_meeting_time_is_refused(org, meeting):
    Meeting.objects.filter(pk=meeting.pk).update(ends_at=timezone.now() - timedelta(minutes=1))
    meeting.refresh_from_db()
    with pytest.raises(checkin.CheckInError, match="不在签到时间内"):
        checkin.check_in(meeting, member(org["first"], "1"), checkin.code(meeting))


def test_the_host_sees_who_came_and_who_is_missing_and_exports_it(org, meeting):
    came = member(org["first"], "1001", name="张三")
    member(org["second"], "2001", name="李四")
    member(org["third"], "3001", name="王五")  # not expected
    checkin.check_in(meeting, came, checkin.code(meeting))
    client = Client()
    client.force_login(superuser())
    host = client.get(f"/admin/meetings/{meeting.pk}/host/").content.decode()
    assert "<svg" in host and "张三（第一党支部）" in host and "李四（第二党支部）" in host
    assert "王五" not in host
    live = client.get(f"/admin/meetings/{meeting.pk}/live/").json()
    assert [c["name"] for c in live["checked"]] == ["张三"]
    assert [m["name"] for m in live["missing"]] == ["李四"]
    assert "<svg" in live["qr"] and "<script" not in live["qr"]
    rows = list(
        read_rows(io.BytesIO(client.get(f"/admin/meetings/{meeting.pk}/export.xlsx").content))
    )
    assert rows[0][1] == ("姓名", "所属组织", "签到时间") and rows[1][1][0] == "张三"


def test_a_secretary_hosting_sees_only_their_subtree(org, meeting):
    member(org["first"], "1001", name="张三")
    member(org["second"], "2001", name="李四")
    secretary, _ = secretary_of(org["second"], "sec2")
    client = Client()
    client.force_login(secretary)
    live = client.get(f"/admin/meetings/{meeting.pk}/live/").json()
    assert {m["name"] for m in live["missing"]} == {"李四", "李书记"}
    for group in ("初审", "留言管理员"):
        other = Client()
        other.force_login(user_in(group, f"u-{group}"))
        assert other.get(f"/admin/meetings/{meeting.pk}/live/").status_code in (302, 403)
