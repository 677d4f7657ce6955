"""现场竞答 in three browsers: the host's big screen and two phones (a signed-in member in
WeChat and a guest in a plain browser). The screen shows the code, the phones join, both
answer the first question, the screen counts them, the answer and the leaderboard appear on
the screen and each phone learns its own result; the host ends the session."""

import re

import pytest
from playwright.sync_api import expect

from tests.base import user_in
from tests.browser.conftest import screenshot
from tests.quiz_support import PASSWORD, bank, one_minute
from tests.test_audience_support import member, tree
from weizhi.audience import services as audience
from weizhi.quiz.models import LiveAnswer, LivePlayer, LiveSession, Question

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def shown_right(session: LiveSession) -> str:
    drawn = session.drawn[session.index]
    question = Question.objects.get(pk=drawn["q"])
    return "ABCDEFGH"[drawn["o"].index("ABCDEFGH".index(question.answer))]


def test_a_host_runs_a_live_quiz_with_two_phones(live_server, desktop, phone, plain_phone):
    base = live_server.url
    bank(3, 0)
    one_minute(question_count=2, title="主题党日竞答")
    wang = member(tree()["first"], "1001", name="王芳")
    audience.set_member_password(wang, PASSWORD)
    user_in("编辑", "editor")

    desktop.goto(base + "/admin/login/")
    desktop.fill("#id_username", "editor")
    desktop.fill("#id_password", "p4ssw0rd-测试")
    desktop.click("button[type=submit]")
    desktop.wait_for_url(base + "/admin/")
    desktop.goto(base + "/admin/quiz/live/")
    desktop.get_by_label("允许未登录的访客填写姓名参加").check()
    # The activity publishes no top N, so the host asks for the people board.
    desktop.get_by_label("排行榜").select_option("people")
    desktop.get_by_role("button", name="开启竞答").click()
    desktop.wait_for_url(re.compile(r"/admin/quiz/live/\d+/$"))
    session = LiveSession.objects.get()
    assert desktop.locator("[data-code]").inner_text() == session.code
    expect(desktop.locator(".live-qr svg")).to_be_visible()

    # The member scans the code in WeChat and signs in; the guest types a name.
    phone.goto(f"{base}/quiz/live/?code={session.code}")
    phone.get_by_role("link", name="党员登录后加入").click()
    phone.get_by_label("工号").fill("1001")
    phone.get_by_label("密码").fill(PASSWORD)
    phone.get_by_role("button", name="登录").click()
    phone.get_by_role("button", name="加入竞答").click()
    phone.get_by_text("已加入，等待主持人开始").wait_for()
    plain_phone.goto(f"{base}/quiz/live/{session.code}/")
    plain_phone.get_by_label("姓名").fill("来宾张")
    plain_phone.get_by_role("button", name="以来宾身份加入").click()
    plain_phone.get_by_text("已加入，等待主持人开始").wait_for()
    desktop.locator("[data-players]").filter(has_text="2").wait_for()
    screenshot(desktop, "live-quiz-screen-lobby")

    desktop.get_by_role("button", name="开始竞答").click()
    phone.locator("[data-stem]").filter(has_text="单选").wait_for()
    session.refresh_from_db()
    right = shown_right(session)
    wrong = next(x for x in "ABCD" if x != right)
    assert phone.locator("[data-options] button").first.bounding_box()["height"] >= 48
    screenshot(phone, "live-quiz-phone-question")
    phone.locator(f"[data-options] button[data-letter={right}]").click()
    phone.get_by_text("已提交，等待公布答案").wait_for()
    plain_phone.locator(f"[data-options] button[data-letter={wrong}]").click()
    plain_phone.get_by_text("已提交，等待公布答案").wait_for()
    desktop.locator("[data-answered]").filter(has_text="2").wait_for()
    screenshot(desktop, "live-quiz-screen-question")

    desktop.get_by_role("button", name="公布答案").click()
    phone.get_by_text(re.compile(r"回答正确！\+\d+ 分")).wait_for()
    plain_phone.get_by_text("回答错误").wait_for()
    board = desktop.locator("[data-board-list] li")
    board.first.filter(has_text="王芳").wait_for()
    assert "来宾张" in board.nth(1).inner_text()
    screenshot(desktop, "live-quiz-screen-reveal")
    screenshot(phone, "live-quiz-phone-reveal")

    # A reload (a phone that dropped) keeps the seat and the score.
    score = LivePlayer.objects.get(member=wang).score
    phone.reload()
    phone.locator("[data-score]").filter(has_text=str(score)).wait_for()

    desktop.get_by_role("button", name="下一题").click()
    phone.locator("[data-number]").filter(has_text="第 2/2 题").wait_for()
    desktop.get_by_role("button", name="结束竞答").click()
    phone.get_by_text(f"竞答结束，你的得分：{score}").wait_for()
    desktop.get_by_text("竞答结束，感谢参与！").wait_for()
    assert LiveAnswer.objects.count() == 2
