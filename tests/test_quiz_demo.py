"""The demo bank and activities: enough questions, each valid by the import's rules and
with its 解析, loaded idempotently; the demo 自测一分钟 can be taken at once."""

import io

import pytest
from django.core.management import call_command

from tests.base import user_in
from tests.test_audience_support import member, tree
from weizhi.quiz import demo, live, services
from weizhi.quiz.models import Activity, LiveSession, Question

pytestmark = pytest.mark.django_db


def test_the_demo_bank_holds_at_least_80_valid_questions_with_explanations():
    rows = demo.rows()
    assert len(rows) >= 80
    assert all(r["explanation"] for r in rows)
    assert {r["kind"] for r in rows} == {"single", "multiple", "judge", "blank"}
    assert len({r["stem"] for r in rows}) == len(rows)


def test_loading_twice_adds_nothing_the_second_time():
    out = io.StringIO()
    call_command("load_demo_quiz", stdout=out)
    count = Question.objects.count()
    assert count >= 80 and "演示题库" in out.getvalue()
    call_command("load_demo_quiz", stdout=io.StringIO())
    assert Question.objects.count() == count
    assert set(Activity.objects.values_list("title", flat=True)) == {
        "自测一分钟", "每日一练", "党章专项答题", "挑战答题", "主题党日现场竞答",
    }  # fmt: skip
    assert LiveSession.objects.count() == 1


def test_the_demo_one_minute_test_runs():
    demo.load_demo_quiz()
    person = member(tree()["first"], "1001")
    attempt = services.start(Activity.objects.get(title="自测一分钟"), person)
    assert len(attempt.drawn) == 5 and attempt.deadline is not None


def test_the_demo_live_quiz_is_ready_to_start():
    demo.load_demo_quiz()
    session = LiveSession.objects.get()
    assert session.phase == "lobby" and session.allow_guests and len(session.drawn) == 8
    # No public ranking of people unless the activity publishes a top N.
    assert session.board == ("people" if session.activity.show_top else "branches")
    assert session.board == "branches"
    session = live.step(session, "start", user_in("编辑", "editor"))
    assert session.phase == "question" and live.screen_state(session.pk)["question"]["stem"]
