"""Show-if on the same page: a question shown or hidden by an answer above it on its page,
decided again by the server on submit (hidden answers refused, hidden questions not required)."""

import json

import pytest

from tests.test_audience_support import member, tree
from tests.test_surveys_support import answer_url, signed_in, survey
from weizhi.surveys import logic
from weizhi.surveys.logic import Item
from weizhi.surveys.models import Response

pytestmark = pytest.mark.django_db


def same_page_survey(**fields):
    """One page: Q1 是/否; Q2 “为什么” only if Q1=A; Q3 rating; Q4 only if Q2 answered …
    here: Q4 “请具体说说” only if Q1=A 且 Q3<=2 或 Q1=B; a second page with Q5."""
    return survey(
        [
            {"kind": "single", "title": "是否参加过主题党日？", "options": "是\n否"},
            {"kind": "text", "title": "参加的是哪一次？", "show_if": "Q1=A"},
            {"kind": "rating", "title": "给活动打分"},
            {
                "kind": "textarea",
                "title": "请具体说说",
                "show_if": "Q1=A 且 Q3<=2 或 Q1=B",
            },
            {"kind": "page_break"},
            {"kind": "text", "title": "其他建议", "required": False},
        ],
        **fields,
    )


@pytest.fixture
def zhang():
    return member(tree()["first"], "1001", name="张三")


def test_the_rules_allow_a_condition_on_a_question_above_on_the_same_page():
    items = [
        Item("Q1", "single", "", options=logic.parse_options("是\n否")),
        Item("Q2", "text", "", condition=logic.parse_condition("Q1=A")),
        Item("Q3", "text", "", condition=logic.parse_condition("Q2!=x 或 Q4=A")),
        Item("Q4", "single", "", options=logic.parse_options("是")),
    ]
    assert logic.check_rules(items[:2]) == []
    errors = logic.check_rules(items)
    assert len(errors) == 1 and "Q3" in errors[0] and "Q4" in errors[0]


def test_the_page_carries_the_condition_and_hides_what_does_not_hold_yet(zhang):
    s = same_page_survey()
    page = signed_in(zhang).get(answer_url(s)).content.decode()
    assert "参加的是哪一次" in page and "请具体说说" in page and "showif.js" in page
    assert 'id="q-Q2" data-code="Q2" data-show-if=' in page
    fieldset = page.split('id="q-Q2"')[1].split(">")[0]
    assert "hidden disabled" in fieldset
    condition = json.loads(fieldset.split('data-show-if="')[1].split('"')[0].replace("&quot;", '"'))
    assert condition == [[{"code": "Q1", "op": "=", "values": ["A"]}]]
    assert "data-show-if" not in page.split('id="q-Q3"')[1].split(">")[0]


def test_a_shown_question_on_the_same_page_is_required_and_its_answer_kept(zhang):
    s = same_page_survey()
    client = signed_in(zhang)
    r = client.post(answer_url(s), {"Q1": "A", "Q3": "5"})
    body = r.content.decode()
    assert r.status_code == 400 and "此题必答" in body.split('id="q-Q2"')[1].split("</fieldset>")[0]
    # Without a script the page comes back with Q2 shown, Q4 still hidden.
    assert "hidden" not in body.split('id="q-Q2"')[1].split(">")[0]
    assert "hidden disabled" in body.split('id="q-Q4"')[1].split(">")[0]
    r = client.post(answer_url(s), {"Q1": "A", "Q2": "七月", "Q3": "5"})
    assert r.status_code == 302 and r["Location"].endswith("?p=2")
    client.post(answer_url(s, 2), {"Q5": ""})
    assert Response.objects.get(survey=s).answers == {"Q1": "A", "Q2": "七月", "Q3": 5}


def test_and_or_on_the_same_page_follow_the_engine(zhang):
    s = same_page_survey()
    client = signed_in(zhang)
    r = client.post(answer_url(s), {"Q1": "A", "Q2": "七月", "Q3": "1"})
    assert r.status_code == 400 and "此题必答" in r.content.decode().split('id="q-Q4"')[1]
    r = client.post(answer_url(s), {"Q1": "B", "Q3": "4", "Q4": "没有时间"})
    assert r.status_code == 302
    client.post(answer_url(s, 2), {})
    assert Response.objects.get(survey=s).answers == {"Q1": "B", "Q3": 4, "Q4": "没有时间"}


def test_an_answer_to_a_question_hidden_on_the_same_page_is_refused(zhang):
    s = same_page_survey()
    client = signed_in(zhang)
    r = client.post(answer_url(s), {"Q1": "B", "Q2": "伪造的回答", "Q3": "4", "Q4": "理由"})
    assert r.status_code == 400 and "Q2按您的选择不需作答" in r.content.decode()
    r = client.post(answer_url(s), {"Q1": "A", "Q2": "七月", "Q3": "5", "Q4": "伪造"})
    assert r.status_code == 400 and "Q4按您的选择不需作答" in r.content.decode()
    assert not Response.objects.exists()


def test_an_empty_box_of_a_hidden_question_is_no_answer(zhang):
    """A page without script sends the hidden question's empty text box; that is fine."""
    s = same_page_survey()
    r = signed_in(zhang).post(answer_url(s), {"Q1": "B", "Q2": "", "Q3": "4", "Q4": "忙"})
    assert r.status_code == 302


def test_changing_the_answer_above_drops_the_hidden_answer_from_the_draft(zhang):
    s = same_page_survey()
    client = signed_in(zhang)
    client.post(answer_url(s), {"Q1": "A", "Q2": "七月", "Q3": "5"})
    page = client.get(answer_url(s, 1)).content.decode()
    assert 'value="七月"' in page and "hidden" not in page.split('id="q-Q2"')[1].split(">")[0]
    client.post(answer_url(s, 1), {"Q1": "B", "Q3": "5", "Q4": "忙"})
    client.post(answer_url(s, 2), {})
    assert Response.objects.get(survey=s).answers == {"Q1": "B", "Q3": 5, "Q4": "忙"}
