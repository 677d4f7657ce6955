"""On a phone: answering a survey whose second page depends on the first, and checking in
at a meeting by its QR code; on a desktop: the results page draws its charts."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from tests.base import superuser
from tests.browser.conftest import screenshot
from tests.test_audience_support import member, tree
from tests.test_surveys_support import respond, signed_in, survey
from weizhi.surveys import checkin
from weizhi.surveys.models import CheckIn, Meeting, Response

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def sign_in(page, client: Client, url: str) -> None:
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": url,
            }
        ]
    )


def test_a_member_answers_a_survey_with_logic_on_a_phone(live_server, plain_phone):
    zhang = member(tree()["first"], "1001", name="张三")
    s = survey(
        [
            {"kind": "single", "title": "是否参加了本次主题党日？", "options": "参加了\n没有参加"},
            {"kind": "page_break"},
            {"kind": "rating", "title": "请为活动打分", "show_if": "Q1=A"},
            {
                "kind": "single",
                "title": "没有参加的原因",
                "show_if": "Q1=B",
                "options": "工作冲突\n身体原因\n其他 [其他]",
            },
            {"kind": "textarea", "title": "意见建议", "required": False},
        ],
        title="主题党日反馈",
    )
    sign_in(plain_phone, signed_in(zhang), live_server.url)
    plain_phone.goto(f"{live_server.url}/s/{s.pk}/")
    plain_phone.get_by_text("没有参加").click()
    screenshot(plain_phone, "survey-page-1")
    plain_phone.get_by_role("button", name="下一页").click()
    plain_phone.wait_for_url("**?p=2")
    expect(plain_phone.get_by_text("没有参加的原因")).to_be_visible()
    assert plain_phone.get_by_text("请为活动打分").count() == 0
    # "Other" without saying what: the page says so and keeps the choice.
    plain_phone.get_by_text("其他", exact=True).click()
    plain_phone.get_by_role("button", name="提交").click()
    assert "请填写“其他”的具体内容" in plain_phone.locator(".field-error").inner_text()
    screenshot(plain_phone, "survey-page-2-error")
    plain_phone.get_by_placeholder("请注明").fill("外出学习")
    plain_phone.get_by_role("button", name="提交").click()
    plain_phone.wait_for_url("**/done/")
    assert "感谢您的参与" in plain_phone.locator(".survey-thanks").inner_text()
    screenshot(plain_phone, "survey-done")
    answers = Response.objects.get(survey=s).answers
    assert answers == {"Q1": "B", "Q3": "C", "Q3:other": "外出学习"}


def test_a_member_checks_in_by_scanning_the_code(live_server, plain_phone):
    from datetime import timedelta

    from django.utils import timezone

    org = tree()
    zhang = member(org["first"], "1001", name="张三")
    now = timezone.now()
    meeting = Meeting.objects.create(
        title="支部党员大会", starts_at=now, ends_at=now + timedelta(hours=1)
    )
    meeting.expected_branches.set([org["first"]])
    sign_in(plain_phone, signed_in(zhang), live_server.url)
    plain_phone.goto(f"{live_server.url}/s/checkin/{meeting.pk}/{checkin.code(meeting)}/")
    plain_phone.get_by_role("button", name="确认签到").click()
    expect(plain_phone.get_by_text("签到成功")).to_be_visible()
    screenshot(plain_phone, "survey-checkin")
    assert CheckIn.objects.filter(meeting=meeting, member=zhang).exists()
    plain_phone.goto(f"{live_server.url}/s/checkin/{meeting.pk}/1-forged/")
    expect(plain_phone.get_by_text("已经签到过")).to_be_visible()


def test_the_results_page_draws_its_charts(live_server, desktop):
    org = tree()
    s = survey(
        [
            {"kind": "single", "title": "满意吗", "options": "满意\n一般\n不满意"},
            {"kind": "matrix", "title": "评价", "options": "好\n差", "rows": "食堂\n宿舍"},
        ]
    )
    for n in range(6):
        p = member(org["first"], f"10{n}", name=f"党员{n}")
        respond(s, {"Q1": "ABCAAB"[n], "Q2": {"0": "A", "1": "AB"[n % 2]}}, member=p)
    admin = Client()
    admin.force_login(superuser())
    sign_in(desktop, admin, live_server.url)
    desktop.goto(f"{live_server.url}/admin/surveys/{s.pk}/results/")
    charts = desktop.locator("figure.chart svg")
    assert charts.count() == 2
    for i in range(2):
        box = charts.nth(i).bounding_box()
        assert box and box["width"] > 200 and box["height"] > 50
    slices = desktop.locator("figure.chart-pie .chart-slice")
    assert slices.count() == 3 and slices.first.bounding_box()["width"] > 10
    assert desktop.locator("figure.chart-stacked .chart-bar").count() == 3
    screenshot(desktop, "survey-results")
