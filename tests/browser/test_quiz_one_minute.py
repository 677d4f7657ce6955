"""自测一分钟 on a phone inside WeChat: sign in, start, the server's clock counting down and
kept across a reload, answers saved as they are tapped (one of them through a dropped
network, retried with its key), hand-in, the result with the right answers and 解析; and a
test left alone until its time runs out is handed in by itself."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.quiz_support import PASSWORD, bank, one_minute
from tests.test_audience_support import member, tree
from weizhi.audience import services as audience
from weizhi.quiz.models import Answer, Attempt

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def sign_in(page, base: str, path: str = "/quiz/") -> None:
    person = member(tree()["first"], "1001", name="王芳")
    audience.set_member_password(person, PASSWORD)
    page.goto(base + path)
    page.wait_for_url("**/me/login/**")
    page.get_by_label("工号").fill("1001")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + path)


def seconds_left(page) -> int:
    return int(page.locator("[data-seconds]").inner_text())


def test_a_member_takes_the_one_minute_test_on_a_phone(live_server, phone):
    bank(4, 4)
    one_minute(question_count=5)
    sign_in(phone, live_server.url)
    phone.get_by_role("link", name=re.compile("自测一分钟")).click()
    phone.get_by_role("button", name="开始答题").click()
    phone.wait_for_url(re.compile(r"/quiz/attempt/\d+/$"))
    assert 55 <= seconds_left(phone) <= 60
    boxes = phone.locator("fieldset.question")
    assert boxes.count() == 5
    first_choice = boxes.nth(0).locator("label.choice").first
    assert first_choice.bounding_box()["height"] >= 48  # a thumb's tap target
    screenshot(phone, "quiz-one-minute-start")

    first_choice.click()
    boxes.nth(0).get_by_text("已保存").wait_for()
    # The network drops as the second answer is tapped; it is retried when it returns.
    phone.context.set_offline(True)
    boxes.nth(1).locator("label.choice").nth(1).click()
    boxes.nth(1).get_by_text(re.compile("网络不好")).wait_for()
    screenshot(phone, "quiz-one-minute-offline")
    phone.context.set_offline(False)
    boxes.nth(1).get_by_text("已保存").wait_for()
    assert Answer.objects.count() == 2

    # A reload resumes the same attempt; the clock goes on from where it was.
    before = seconds_left(phone)
    phone.wait_for_timeout(1500)
    phone.reload()
    after = seconds_left(phone)
    assert after < 60 and after <= before
    assert Attempt.objects.count() == 1
    expect(phone.locator("fieldset.question").nth(0).get_by_text("已保存")).to_be_visible()

    for i in range(2, 5):
        box = phone.locator("fieldset.question").nth(i)
        box.locator("label.choice").first.click()
        box.get_by_text("已保存").wait_for()
    screenshot(phone, "quiz-one-minute-answered")
    phone.get_by_role("button", name="交卷").click()
    phone.wait_for_url(re.compile(r"/result/$"))
    attempt = Attempt.objects.get()
    assert attempt.finished and Answer.objects.filter(attempt=attempt).count() == 5
    assert phone.locator("[data-score]").inner_text() == str(attempt.score)
    expect(phone.get_by_text("正确答案").first).to_be_visible()
    expect(phone.get_by_text(re.compile("^解析：")).first).to_be_visible()
    screenshot(phone, "quiz-one-minute-result")


def test_a_test_left_alone_is_handed_in_when_time_is_up(live_server, phone):
    bank(3, 3)
    one_minute(question_count=3, time_limit=4)
    sign_in(phone, live_server.url)
    phone.get_by_role("link", name=re.compile("自测一分钟")).click()
    phone.get_by_role("button", name="开始答题").click()
    phone.wait_for_url(re.compile(r"/quiz/attempt/\d+/$"))
    phone.locator("fieldset.question").first.locator("label.choice").first.click()
    phone.wait_for_url(re.compile(r"/result/$"), timeout=20_000)
    expect(phone.get_by_text("时间到，已自动交卷")).to_be_visible()
    attempt = Attempt.objects.get()
    assert attempt.finished and attempt.answers.count() <= 1
    screenshot(phone, "quiz-one-minute-time-up")
