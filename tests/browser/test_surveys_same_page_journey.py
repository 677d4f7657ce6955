"""On a phone: a question whose show-if names a question above it on the same page appears
and disappears as the member answers, and what the hidden question held is not sent."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_surveys_journey import sign_in
from tests.test_audience_support import member, tree
from tests.test_surveys_support import signed_in, survey
from weizhi.surveys.models import Response

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_same_page_question_shows_and_hides_as_the_member_answers(live_server, plain_phone):
    zhang = member(tree()["first"], "1001", name="张三")
    s = survey(
        [
            {"kind": "single", "title": "是否参加了本次主题党日？", "options": "参加了\n没有参加"},
            {"kind": "rating", "title": "请为活动打分", "show_if": "Q1=A"},
            {"kind": "text", "title": "哪里需要改进？", "show_if": "Q1=A 且 Q2<=2 或 Q1=B"},
            {"kind": "textarea", "title": "意见建议", "required": False},
        ],
        title="主题党日反馈",
    )
    sign_in(plain_phone, signed_in(zhang), live_server.url)
    plain_phone.goto(f"{live_server.url}/s/{s.pk}/")
    rating, improve = plain_phone.locator("#q-Q2"), plain_phone.locator("#q-Q3")
    expect(rating).to_be_hidden()
    expect(improve).to_be_hidden()
    plain_phone.get_by_text("参加了", exact=True).click()
    expect(rating).to_be_visible()
    expect(improve).to_be_hidden()
    rating.get_by_text("1★").click()
    expect(improve).to_be_visible()
    improve.get_by_role("textbox").fill("时间太长")
    screenshot(plain_phone, "survey-same-page-shown")
    rating.get_by_text("5★").click()
    expect(improve).to_be_hidden()
    plain_phone.get_by_text("没有参加").click()
    expect(rating).to_be_hidden()
    expect(improve).to_be_visible()
    screenshot(plain_phone, "survey-same-page-other-branch")
    plain_phone.get_by_text("参加了", exact=True).click()
    rating.get_by_text("4★").click()
    plain_phone.get_by_role("button", name="提交").click()
    plain_phone.wait_for_url("**/done/")
    # The improvement text typed while it was shown was not sent once it was hidden again.
    assert Response.objects.get(survey=s).answers == {"Q1": "A", "Q2": 4}
