"""The survey builder in the admin: questions checked before a survey is saved."""

import pytest
from django.test import Client

from tests.base import user_in
from tests.test_surveys_support import respond, survey
from weizhi.surveys.models import Survey

pytestmark = pytest.mark.django_db


def form(questions: list[dict], **fields) -> dict:
    data = {
        "title": "新问卷",
        "kind": "survey",
        "intro": "",
        "audience": "members",
        "thanks": "谢谢",
        "questions-TOTAL_FORMS": str(len(questions)),
        "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for n, q in enumerate(questions):
        row = {"kind": "single", "title": f"题{n}", "required": "on", "options": "", "ORDER": n + 1}
        row.update(q)
        for key, value in row.items():
            data[f"questions-{n}-{key}"] = value
    return data


@pytest.fixture
def editor() -> Client:
    client = Client()
    client.force_login(user_in("编辑", "editor"))
    return client


def test_an_editor_builds_a_survey_with_pages_and_logic(editor):
    questions = [
        {"kind": "single", "options": "是\n否 [结束]"},
        {"kind": "page_break", "title": ""},
        {"kind": "text", "show_if": "Q1=A"},
    ]
    r = editor.post("/admin/survey_admin/new/", form(questions))
    assert r.status_code == 302, r.content.decode()[:3000]
    s = Survey.objects.get(title="新问卷")
    assert [(q.code, q.page) for q in s.questions.all()] == [("Q1", 0), ("", 1), ("Q2", 1)]
    assert s.items()[2].condition


def test_the_builder_refuses_rules_it_cannot_follow_in_chinese(editor):
    bad = [
        {"kind": "single", "options": "是\n否"},
        {"kind": "text", "show_if": "Q3=A"},  # a question below it: cannot be decided in time
        {"kind": "multiple", "options": ""},
        {"kind": "single", "options": "甲", "show_if": "第一题选甲"},
    ]
    for questions, message in [
        (bad[:2], "必须是排在它前面的题目"),
        (bad[2:3], "至少需要一个选项"),
        (bad[3:4], "无法理解条件"),
    ]:
        body = editor.post("/admin/survey_admin/new/", form(questions)).content.decode()
        assert message in body
    assert not Survey.objects.exists()


def test_questions_are_locked_once_answers_arrive(editor):
    from tests.test_audience_support import member, tree

    s = survey([{"kind": "text", "title": "建议"}])
    respond(s, {"Q1": "好"}, member=member(tree()["first"], "1"))
    q = s.questions.get()
    data = form([{"kind": "text", "title": "改过的题目", "id": q.pk}], title=s.title)
    data["questions-INITIAL_FORMS"] = "1"
    body = editor.post(f"/admin/survey_admin/edit/{s.pk}/", data).content.decode()
    assert "问卷已有答卷，不能再修改题目" in body
    q.refresh_from_db()
    assert q.title == "建议"


def test_the_survey_list_shows_counts_and_links(editor):
    survey([{"kind": "text"}], title="列表里的问卷")
    body = editor.get("/admin/survey_admin/").content.decode()
    assert "列表里的问卷" in body and "链接与二维码" in body


def test_the_builder_accepts_a_condition_on_a_question_above_on_the_same_page(editor):
    questions = [
        {"kind": "single", "options": "是\n否"},
        {"kind": "text", "show_if": "Q1=A"},
    ]
    r = editor.post("/admin/survey_admin/new/", form(questions))
    assert r.status_code == 302, r.content.decode()[:3000]
    s = Survey.objects.get(title="新问卷")
    assert [(q.code, q.page, q.show_if) for q in s.questions.all()] == [
        ("Q1", 0, ""),
        ("Q2", 0, "Q1=A"),
    ]
