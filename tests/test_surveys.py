"""Answering a survey on the phone: pages, logic, drafts, who may answer, one response each,
quotas, sign-ups and anonymity."""

import pytest
from django.contrib import admin
from django.db import IntegrityError, transaction
from django.test import Client

from tests.test_audience_support import member, tree
from tests.test_surveys_support import answer_url, logic_survey, signed_in, survey
from weizhi.audience.models import Follower, FollowerTag
from weizhi.surveys import services
from weizhi.surveys.models import Draft, Participation, QuotaClaim, Response, Survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return tree()


@pytest.fixture
def zhang(org):
    return member(org["first"], "1001", name="张三")


def test_a_member_answers_page_by_page_following_the_logic(zhang):
    s = logic_survey()
    client = signed_in(zhang)
    page = client.get(answer_url(s))
    assert (
        "是否参加过主题党日" in page.content.decode() and "给活动打分" not in page.content.decode()
    )
    r = client.post(answer_url(s), {"Q1": "A"})
    assert r.status_code == 302 and r["Location"].endswith("?p=2")
    page2 = client.get(r["Location"]).content.decode()
    assert "给活动打分" in page2 and "有什么建议" in page2
    r = client.post(answer_url(s, 2), {"Q2": "4", "Q3": "多组织参观"})
    assert r["Location"] == f"/s/{s.pk}/done/"
    response = Response.objects.get(survey=s)
    assert response.answers == {"Q1": "A", "Q2": 4, "Q3": "多组织参观"}
    assert response.member == zhang and response.branch == zhang.branch
    assert not Draft.objects.exists()
    assert "感谢您的参与" in client.get(r["Location"]).content.decode()


def test_an_option_that_ends_the_survey_submits_at_once(zhang):
    s = logic_survey()
    r = signed_in(zhang).post(answer_url(s), {"Q1": "B"})
    assert r["Location"] == f"/s/{s.pk}/done/"
    assert Response.objects.get(survey=s).answers == {"Q1": "B"}


def test_a_hidden_question_on_the_next_page_is_skipped_and_refused_if_sent(zhang):
    s = survey(
        [
            {"kind": "single", "options": "是\n否"},
            {"kind": "page_break"},
            {"kind": "text", "title": "为什么", "show_if": "Q1=A"},
            {"kind": "text", "title": "其他想法", "required": False},
        ]
    )
    client = signed_in(zhang)
    client.post(answer_url(s), {"Q1": "B"})
    assert "为什么" not in client.get(answer_url(s, 2)).content.decode()
    r = client.post(answer_url(s, 2), {"Q2": "伪造的回答", "Q3": ""})
    assert r.status_code == 400 and "本页没有的题目" in r.content.decode()
    assert not Response.objects.exists()


def test_a_draft_is_kept_and_resumed_where_the_member_stopped(zhang):
    s = logic_survey()
    signed_in(zhang).post(answer_url(s), {"Q1": "A"})
    later = signed_in(zhang).get(answer_url(s)).content.decode()  # another session, same person
    assert "给活动打分" in later and "上一页" in later
    back = signed_in(zhang).get(answer_url(s, 1)).content.decode()
    assert 'value="A" checked' in back


def test_a_page_with_errors_shows_them_in_chinese_and_keeps_what_was_typed(zhang):
    s = logic_survey()
    client = signed_in(zhang)
    client.post(answer_url(s), {"Q1": "A"})
    r = client.post(answer_url(s, 2), {"Q3": "我的建议"})
    body = r.content.decode()
    assert r.status_code == 400 and "此题必答" in body and "我的建议" in body


def test_a_second_response_is_refused_by_the_page_the_service_and_the_database(zhang):
    s = logic_survey()
    client = signed_in(zhang)
    client.post(answer_url(s), {"Q1": "B"})
    assert client.get(answer_url(s))["Location"] == f"/s/{s.pk}/done/"
    person = services.Respondent(f"m:{zhang.pk}", zhang)
    draft = Draft(survey=s, token=services.person_token(s, person), answers={"Q1": "B"})
    with pytest.raises(services.AlreadyAnswered, match="只能提交一次"):
        services.submit(s, person, draft)
    with pytest.raises(IntegrityError), transaction.atomic():
        Participation.objects.create(survey=s, token=draft.token)
    assert Response.objects.filter(survey=s).count() == 1


def test_who_may_answer(org, zhang):
    other = member(org["third"], "3001", name="王五")
    s = logic_survey(audience=Survey.Audience.BRANCHES)
    s.branches.set([org["general"]])
    assert signed_in(zhang).get(answer_url(s)).status_code == 200
    refused = signed_in(other).get(answer_url(s)).content.decode()
    assert "仅限指定党组织" in refused
    assert Client().get(answer_url(s))["Location"].startswith("/me/login/")


def test_followers_with_a_tag(org):
    tag = FollowerTag.objects.create(name="青年")
    s = logic_survey(audience=Survey.Audience.TAGGED, tag=tag, anonymous=True)
    fan = Follower.objects.create(openid="o-1")
    client = Client()
    session = client.session
    session["audience.follower_id"] = fan.pk
    session.save()
    assert "仅限指定的公众号粉丝" in client.get(answer_url(s)).content.decode()
    fan.tags.add(tag)
    assert "是否参加过主题党日" in client.get(answer_url(s)).content.decode()


def test_open_and_close_times(zhang):
    from datetime import timedelta

    from django.utils import timezone

    later = logic_survey(opens_at=timezone.now() + timedelta(days=1))
    assert "开始" in signed_in(zhang).get(answer_url(later)).content.decode()
    over = logic_survey(closes_at=timezone.now() - timedelta(minutes=1))
    assert "已经截止" in signed_in(zhang).get(answer_url(over)).content.decode()
    draft = logic_survey(published=False)
    assert "尚未发布" in signed_in(zhang).get(answer_url(draft)).content.decode()


def test_anyone_may_answer_an_open_anonymous_survey_once_per_browser():
    s = logic_survey(audience=Survey.Audience.EVERYONE, anonymous=True)
    client = Client()
    assert client.post(answer_url(s), {"Q1": "B"})["Location"].endswith("/done/")
    assert client.get(answer_url(s))["Location"].endswith("/done/")
    assert Client().get(answer_url(s)).status_code == 200


def test_an_anonymous_response_holds_nothing_that_leads_to_the_person(zhang):
    s = logic_survey(anonymous=True)
    client = signed_in(zhang)
    client.post(answer_url(s), {"Q1": "A"})
    client.post(answer_url(s, 2), {"Q2": "5", "Q3": "很好"})
    response = Response.objects.get(survey=s)
    assert response.member is None and response.branch is None and response.status == ""
    assert response.submitted_at is None
    participation = Participation.objects.get(survey=s)
    fields = {f.name for f in Participation._meta.get_fields()}
    assert fields == {"id", "survey", "token"}
    assert len(participation.token) == 64 and zhang.name not in str(response.answers)
    assert not Draft.objects.exists()
    # No admin lists responses or participations (neither Django's admin nor Wagtail's).
    assert Response not in admin.site._registry and Participation not in admin.site._registry


def test_an_option_with_a_quota_closes_when_full(org, zhang):
    other = member(org["first"], "1002", name="李四")
    s = survey([{"kind": "single", "title": "选场次", "options": "上午 [限额1]\n下午"}])
    assert signed_in(zhang).post(answer_url(s), {"Q1": "A"}).status_code == 302
    page = signed_in(other).get(answer_url(s)).content.decode()
    assert "上午（已满）" in page and 'value="A" disabled' in page
    r = signed_in(other).post(answer_url(s), {"Q1": "A"})
    assert r.status_code == 400 and "未提供的选项" in r.content.decode()
    assert QuotaClaim.objects.filter(survey=s).count() == 1


def test_a_quota_taken_between_page_and_submit_is_refused_with_a_message(org, zhang):
    other = member(org["first"], "1002", name="李四")
    s = survey(
        [
            {"kind": "single", "options": "上午 [限额1]\n下午"},
            {"kind": "page_break"},
            {"kind": "text", "title": "备注", "required": False},
        ]
    )
    signed_in(other).post(answer_url(s), {"Q1": "A"})  # chose it while it was free
    signed_in(zhang).post(answer_url(s), {"Q1": "A"})
    signed_in(zhang).post(answer_url(s, 2), {"Q2": ""})
    r = signed_in(other).post(answer_url(s, 2), {"Q2": ""})
    assert r.status_code == 409 and "名额已满" in r.content.decode()
    assert Response.objects.filter(survey=s).count() == 1
    assert not Participation.objects.filter(
        survey=s, token=services.person_token(s, services.Respondent(f"m:{other.pk}"))
    ).exists()


def test_a_signup_fills_then_waits_and_a_cancel_promotes_the_first_waiting(org):
    people = [member(org["first"], f"20{n}", name=f"队员{n}") for n in range(3)]
    s = survey([{"kind": "text", "title": "联系电话"}], kind=Survey.Kind.SIGNUP, capacity=2)
    for p in people:
        signed_in(p).post(answer_url(s), {"Q1": "138"})
    waiting = Response.objects.get(survey=s, member=people[2])
    assert waiting.waiting and Response.objects.filter(survey=s, waiting=False).count() == 2
    assert "候补" in signed_in(people[2]).get(f"/s/{s.pk}/done/").content.decode()
    r = signed_in(people[0]).post(f"/s/{s.pk}/cancel/")
    assert "已取消报名" in r.content.decode()
    waiting.refresh_from_db()
    assert not waiting.waiting
    # The one who cancelled may sign up again, and now waits.
    signed_in(people[0]).post(answer_url(s), {"Q1": "139"})
    again = Response.objects.get(survey=s, member=people[0], cancelled_at=None)
    assert again.waiting


def test_a_signup_cannot_be_cancelled_after_the_deadline(org, zhang):
    from datetime import timedelta

    from django.utils import timezone

    s = survey([{"kind": "text", "title": "备注"}], kind=Survey.Kind.SIGNUP, capacity=5)
    signed_in(zhang).post(answer_url(s), {"Q1": "好"})
    Survey.objects.filter(pk=s.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    r = signed_in(zhang).post(f"/s/{s.pk}/cancel/")
    assert r.status_code == 409 and "报名已截止" in r.content.decode()


def test_an_image_answer_is_stored_and_a_non_image_refused(zhang, tmp_path, settings):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    s = survey([{"kind": "file", "title": "活动照片"}])
    fake = SimpleUploadedFile("a.jpg", b"not an image", content_type="image/jpeg")
    r = signed_in(zhang).post(answer_url(s), {"Q1": fake})
    assert r.status_code == 400 and "不是图片" in r.content.decode()
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(buffer, "PNG")
    photo = SimpleUploadedFile("a.png", buffer.getvalue(), content_type="image/png")
    assert signed_in(zhang).post(answer_url(s), {"Q1": photo}).status_code == 302
    stored = Response.objects.get(survey=s).answers["Q1"]
    assert stored.startswith(f"surveys/{s.pk}/") and (tmp_path / stored).exists()


def test_a_forged_file_answer_path_is_ignored(zhang):
    s = survey([{"kind": "file", "title": "活动照片", "required": False}])
    signed_in(zhang).post(answer_url(s), {"Q1": "../../etc/passwd"})
    assert Response.objects.get(survey=s).answers == {}


def test_every_question_type_renders_on_the_phone(zhang):
    s = survey(
        [
            {"kind": "single", "options": "甲\n乙\n其他 [其他]", "shuffle": True},
            {"kind": "multiple", "options": "甲\n乙", "max_choices": 1},
            {"kind": "rating"},
            {"kind": "nps"},
            {"kind": "matrix", "options": "好\n差", "rows": "食堂\n宿舍"},
            {"kind": "ranking", "options": "一\n二"},
            {"kind": "text"},
            {"kind": "textarea"},
            {"kind": "number"},
            {"kind": "date"},
            {"kind": "file"},
            {"kind": "description", "title": "以下为选答"},
        ]
    )
    body = signed_in(zhang).get(answer_url(s)).content.decode()
    for needle in (
        'name="Q1:other"',
        'type="checkbox"',
        "5★",
        'value="10"',
        'name="Q5.1"',
        'name="Q6.B"',
        'name="Q7"',
        "<textarea",
        'type="number"',
        'type="date"',
        'type="file"',
        "以下为选答",
    ):
        assert needle in body, needle


def test_page_submissions_are_rate_limited_per_person(zhang):
    s = survey([{"kind": "text", "title": "备注"}, {"kind": "page_break"}, {"kind": "text"}])
    client = signed_in(zhang)
    statuses = [client.post(answer_url(s, 1), {"Q1": "好"}).status_code for _ in range(61)]
    assert statuses[:60] == [302] * 60 and statuses[60] == 429
    assert "提交太频繁" in client.post(answer_url(s, 1), {"Q1": "好"}).content.decode()
