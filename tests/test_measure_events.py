"""The activity-event service: one insert per event, once per key, and the activities that
exist today each record theirs."""

import pytest

from tests.quiz_support import bank, one_minute, right_given
from tests.test_audience_support import fast_passwords, follower, member, tree  # noqa: F401
from weizhi.analytics import events
from weizhi.analytics.models import ActivityEvent
from weizhi.inbox import services as inbox
from weizhi.quiz import services as quiz

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


@pytest.fixture
def wang():
    return member(tree()["first"], "1001", name="王芳")


def test_an_event_takes_the_members_branch(wang):
    events.record("note", member=wang, key="note:1")
    event = ActivityEvent.objects.get()
    assert (event.kind, event.member_id, event.branch_id) == ("note", wang.pk, wang.branch_id)


def test_the_same_key_is_recorded_once_and_events_without_a_key_every_time(wang):
    for _ in range(3):
        events.record("reading", member=wang, key="reading:7")
        events.record("reading", member=wang)
    assert ActivityEvent.objects.filter(key="reading:7").count() == 1
    assert ActivityEvent.objects.filter(key="").count() == 3


def test_an_unknown_kind_or_a_follow_is_refused(wang):
    with pytest.raises(ValueError):
        events.record("dancing", member=wang)
    with pytest.raises(ValueError):
        events.record("subscribe", member=wang)
    assert not ActivityEvent.objects.exists()


def test_a_follower_without_a_member_counts_without_a_branch():
    someone = follower("o-events-1")
    events.record("comment", follower=someone, key="comment:1")
    event = ActivityEvent.objects.get()
    assert (event.follower_id, event.member_id, event.branch_id) == (someone.pk, None, None)


def test_handing_in_a_quiz_records_one_event_with_the_score(wang):
    questions = {q.pk: q for q in bank()}
    attempt = quiz.start(one_minute(), wang)
    for n, drawn in enumerate(attempt.drawn):
        quiz.answer(attempt.pk, wang, drawn["q"], right_given(questions[drawn["q"]]), f"k{n}")
    attempt = quiz.finish(attempt, wang)
    quiz.finish(attempt, wang)
    event = ActivityEvent.objects.get(kind="quiz")
    assert event.key == f"attempt:{attempt.pk}"
    assert event.value == attempt.score and attempt.score > 0
    assert event.branch_id == wang.branch_id


def test_an_inbox_message_and_its_reply_are_events(wang, admin_user):
    message = inbox.receive(wang, channel="web", text="请问体检什么时候开始？")
    inbox.reply(message.item, by=admin_user, text="下周一开始。")
    assert sorted(ActivityEvent.objects.values_list("kind", flat=True)) == ["message", "reply"]
