"""Taking a quiz: drawing, the server's clock, attempt limits, modes, who may take it, the
refusals of tampering, and the pages a member sees on the phone."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.quiz_support import bank, one_minute, right_given, signed_in
from tests.test_audience_support import fast_passwords, member, tree  # noqa: F401
from weizhi.audience.models import PoliticalStatus
from weizhi.points.models import Entry
from weizhi.quiz import services
from weizhi.quiz.models import Activity, Answer, Attempt, Question

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


@pytest.fixture
def branches():
    return tree()


@pytest.fixture
def wang(branches):
    return member(branches["first"], "1001", name="王芳")


def test_an_attempt_draws_n_questions_with_shuffled_options_and_a_60_second_deadline(wang):
    bank(6, 4)
    now = timezone.now()
    attempt = services.start(one_minute(), wang, now=now)
    assert len(attempt.drawn) == 5 and len(set(attempt.question_ids())) == 5
    assert attempt.deadline == now + timedelta(seconds=60)
    for d in attempt.drawn:
        assert sorted(d["o"]) == list(range(len(Question.objects.get(pk=d["q"]).options)))
    assert attempt.max_score == sum(
        Question.objects.get(pk=i).score for i in attempt.question_ids()
    )


def test_a_refresh_or_second_device_resumes_the_same_attempt_and_deadline(wang):
    bank()
    activity = one_minute()
    now = timezone.now()
    first = services.start(activity, wang, now=now)
    later = services.start(activity, wang, now=now + timedelta(seconds=40))
    assert later.pk == first.pk and later.deadline == first.deadline
    assert Attempt.objects.count() == 1


def test_an_answer_after_the_deadline_is_refused_and_not_counted(wang):
    bank()
    now = timezone.now()
    attempt = services.start(one_minute(), wang, now=now)
    q1, q2 = (Question.objects.get(pk=i) for i in attempt.question_ids()[:2])
    services.answer(attempt.pk, wang, q1.pk, right_given(q1), "k1", now=now + timedelta(seconds=59))
    with pytest.raises(services.Refused, match="已超过答题时间"):
        services.answer(
            attempt.pk, wang, q2.pk, right_given(q2), "k2", now=now + timedelta(seconds=63)
        )
    assert list(Answer.objects.values_list("question_id", flat=True)) == [q1.pk]
    attempt.refresh_from_db()
    assert attempt.finished and attempt.score == q1.score and attempt.correct_count == 1


def test_a_member_back_after_the_deadline_finds_the_attempt_handed_in(wang):
    bank()
    activity = one_minute()
    now = timezone.now()
    first = services.start(activity, wang, now=now)
    second = services.start(activity, wang, now=now + timedelta(seconds=90))
    first.refresh_from_db()
    assert first.finished and second.pk != first.pk and second.number == 2


def test_a_retried_answer_with_the_same_key_is_stored_once_and_another_is_refused(wang):
    bank()
    attempt = services.start(one_minute(), wang)
    q = Question.objects.get(pk=attempt.question_ids()[0])
    first = services.answer(attempt.pk, wang, q.pk, right_given(q), "same-key")
    again = services.answer(attempt.pk, wang, q.pk, ["A"], "same-key")
    assert not first.repeated and again.repeated and again.answer.pk == first.answer.pk
    with pytest.raises(services.Refused, match="已经作答"):
        services.answer(attempt.pk, wang, q.pk, ["A"], "other-key")
    assert Answer.objects.get().correct


def test_tampering_is_refused(wang, branches):
    bank()
    attempt = services.start(one_minute(), wang)
    stranger = member(branches["second"], "2002", name="李四")
    not_drawn = Question.objects.exclude(pk__in=attempt.question_ids()).first()
    with pytest.raises(services.Refused, match="不在你本次抽到的题目中"):
        services.answer(attempt.pk, wang, not_drawn.pk, ["B"], "k")
    q = attempt.question_ids()[0]
    with pytest.raises(services.Refused, match="不属于你") as refused:
        services.answer(attempt.pk, stranger, q, ["B"], "k")
    assert refused.value.status == 404
    with pytest.raises(services.Refused):
        services.finish(attempt, stranger)
    services.finish(attempt, wang)
    with pytest.raises(services.Refused, match="已经交卷"):
        services.answer(attempt.pk, wang, q, ["B"], "k")
    assert not Answer.objects.exists()


def test_attempts_per_day_are_limited(wang):
    bank()
    activity = one_minute(attempts_per_day=2)
    for _ in range(2):
        services.finish(services.start(activity, wang), wang)
    with pytest.raises(services.Refused, match="2 次答题机会已用完") as refused:
        services.start(activity, wang)
    assert refused.value.status == 409
    assert services.attempts_left(activity, wang) == 0
    tomorrow = timezone.now() + timedelta(days=1)
    assert services.start(activity, wang, now=tomorrow).number == 1


def test_the_daily_practice_is_the_same_set_for_everyone_that_day(wang, branches):
    bank(8, 6)
    li = member(branches["second"], "2002", name="李四")
    daily = Activity.objects.create(title="每日一练", mode="daily", question_count=5)
    a, b = services.start(daily, wang), services.start(daily, li)
    assert a.drawn == b.drawn


def test_a_topic_set_is_fixed_and_taken_once(wang):
    bank(4, 3)
    topic = Activity.objects.create(
        title="党章专项", mode="topic", question_count=3, category="党章"
    )
    attempt = services.start(topic, wang)
    expected = list(
        Question.objects.filter(category="党章").order_by("pk")[:3].values_list("pk", flat=True)
    )
    assert attempt.question_ids() == expected
    services.finish(attempt, wang)
    with pytest.raises(services.Refused, match="只能参加一次"):
        services.start(topic, wang)


def test_a_challenge_ends_at_the_first_mistake_and_goes_in_order(wang):
    bank(6, 0)
    challenge = Activity.objects.create(title="挑战", mode="challenge", question_count=6)
    attempt = services.start(challenge, wang)
    ids = attempt.question_ids()
    with pytest.raises(services.Refused, match="按顺序"):
        services.answer(attempt.pk, wang, ids[1], ["B"], "k")
    services.answer(attempt.pk, wang, ids[0], ["B"], "k0")
    services.answer(attempt.pk, wang, ids[1], ["C"], "k1")
    attempt.refresh_from_db()
    assert attempt.finished and attempt.correct_count == 1
    with pytest.raises(services.Refused, match="已经交卷"):
        services.answer(attempt.pk, wang, ids[2], ["B"], "k2")


def test_quotas_draw_from_a_category_and_a_type(wang):
    bank(6, 6)
    activity = one_minute(question_count=4, quotas="判断题 3\n党章：1\n写错的行")
    kinds = sorted(
        Question.objects.get(pk=i).kind for i in services.start(activity, wang).question_ids()
    )
    assert kinds == ["judge", "judge", "judge", "single"]


def test_who_may_take_it_and_when(wang, branches):
    bank()
    masses = member(branches["third"], "3003", name="群众甲", status=PoliticalStatus.MASSES)
    party_only = one_minute(audience="party")
    with pytest.raises(services.Refused, match="仅限党员"):
        services.start(party_only, masses)
    assert services.start(party_only, wang)
    chosen = one_minute(audience="branches")
    chosen.branches.add(branches["general"])
    assert services.start(chosen, wang)  # 第一党支部 is under 综合党总支
    with pytest.raises(services.Refused, match="不在本活动的参与范围内"):
        services.start(chosen, masses)
    now = timezone.now()
    later = one_minute(opens_at=now + timedelta(hours=1))
    with pytest.raises(services.Refused, match="还没有开始"):
        services.start(later, wang)
    over = one_minute(closes_at=now - timedelta(hours=1))
    with pytest.raises(services.Refused, match="已经结束"):
        services.start(over, wang)


def test_finishing_awards_points_once(wang):
    bank(5, 0)
    attempt = services.start(one_minute(), wang)
    for q in Question.objects.filter(pk__in=attempt.question_ids()):
        services.answer(attempt.pk, wang, q.pk, right_given(q), f"k{q.pk}")
    services.finish(attempt, wang)
    services.finish(attempt, wang)
    assert sorted(Entry.objects.values_list("action", "points")) == [
        ("quiz_finish", 2),
        ("quiz_full_score", 2),
    ]
    attempt.refresh_from_db()
    assert attempt.score == attempt.max_score == 10


# The pages, through the member's own sign-in.


def test_the_phone_pages_from_start_to_result(client, branches):
    bank()
    wang = signed_in(client, branches["first"], "1001")
    activity = one_minute()
    page = client.get(reverse("quiz:home")).content.decode()
    assert "自测一分钟" in page and "还可答 3 次" in page
    response = client.post(reverse("quiz:start", args=[activity.pk]))
    attempt = Attempt.objects.get(member=wang)
    assert response.url == reverse("quiz:attempt", args=[attempt.pk])
    body = client.get(response.url).content.decode()
    assert 'data-remaining="' in body and "剩余" in body and "交卷" in body
    ids = attempt.question_ids()
    url = reverse("quiz:answer", args=[attempt.pk])
    q0 = Question.objects.get(pk=ids[0])
    ok = client.post(url, {"question": q0.pk, "given": right_given(q0), "key": "abc"})
    assert ok.json() == {"ok": True, "repeated": False}
    assert client.post(url, {"question": q0.pk, "given": right_given(q0), "key": "abc"}).json()[
        "repeated"
    ]
    twice = client.post(url, {"question": q0.pk, "given": ["A"], "key": "xyz"})
    assert twice.status_code == 409 and "已经作答" in twice.json()["message"]
    forged = client.post(url, {"question": ids[1], "given": ["B"], "key": "k", "score": 100})
    assert forged.status_code == 400 and "分数由系统计算" in forged.json()["message"]
    # The hand-in form carries an answer whose own request was lost.
    q1 = Question.objects.get(pk=ids[1])
    response = client.post(
        reverse("quiz:finish", args=[attempt.pk]), {f"q{q1.pk}": right_given(q1)}
    )
    assert response.url == reverse("quiz:result", args=[attempt.pk])
    attempt.refresh_from_db()
    assert attempt.finished and attempt.correct_count == 2
    result = client.get(response.url).content.decode()
    assert "正确答案" in result and "解析" in result and q0.explanation in result
    assert "未作答" in result
    assert "自测一分钟" in client.get(reverse("quiz:history")).content.decode()
    assert client.post(reverse("quiz:finish", args=[attempt.pk]), {"score": 999}).status_code == 400


def test_another_members_attempt_is_not_found(client, branches):
    bank()
    owner = member(branches["second"], "2002", name="李四")
    attempt = services.start(one_minute(), owner)
    signed_in(client, branches["first"], "1001")
    assert client.get(reverse("quiz:attempt", args=[attempt.pk])).status_code == 404
    assert client.get(reverse("quiz:result", args=[attempt.pk])).status_code == 404
    q = attempt.question_ids()[0]
    refused = client.post(
        reverse("quiz:answer", args=[attempt.pk]), {"question": q, "given": ["B"]}
    )
    assert refused.status_code == 404
    assert client.post(reverse("quiz:finish", args=[attempt.pk])).status_code == 404
    assert not Answer.objects.exists()


def test_a_page_opened_after_the_deadline_shows_the_result(client, branches):
    bank()
    wang = signed_in(client, branches["first"], "1001")
    attempt = services.start(one_minute(), wang)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(seconds=5))
    response = client.get(reverse("quiz:attempt", args=[attempt.pk]))
    assert response.url == reverse("quiz:result", args=[attempt.pk])
    assert "时间到，已自动交卷" in client.get(response.url).content.decode()


def test_a_stranger_is_sent_to_sign_in(client):
    response = client.get(reverse("quiz:home"))
    assert response.status_code == 302 and reverse("audience:login") in response.url


def test_a_refused_start_explains_why(client, branches):
    bank()
    signed_in(client, branches["first"], "1001")
    activity = one_minute(attempts_per_day=0)
    response = client.post(reverse("quiz:start", args=[activity.pk]))
    assert response.status_code == 409 and "答题机会已用完" in response.content.decode()


# An attempt never outlives its activity.


def test_an_attempt_started_a_minute_before_the_end_has_the_end_as_its_deadline(wang):
    bank()
    now = timezone.now()
    closing = one_minute(time_limit=0, closes_at=now + timedelta(seconds=60))
    assert services.start(closing, wang, now=now).deadline == closing.closes_at
    limited = one_minute(title="限时", closes_at=now + timedelta(hours=1))
    assert services.start(limited, wang, now=now).deadline == now + timedelta(seconds=60)


def test_an_answer_after_the_activity_ended_is_refused_and_what_came_in_time_stays(wang):
    bank()
    now = timezone.now()
    activity = one_minute(time_limit=0, closes_at=now + timedelta(seconds=60))
    attempt = services.start(activity, wang, now=now)
    q1, q2 = (Question.objects.get(pk=i) for i in attempt.question_ids()[:2])
    services.answer(attempt.pk, wang, q1.pk, right_given(q1), "k1", now=now + timedelta(seconds=59))
    with pytest.raises(services.Refused, match="答题活动已经结束"):
        services.answer(attempt.pk, wang, q2.pk, right_given(q2), "k2", now=now + timedelta(days=2))
    assert list(Answer.objects.values_list("question_id", flat=True)) == [q1.pk]
    attempt.refresh_from_db()
    assert attempt.finished and attempt.score == q1.score and attempt.correct_count == 1


def test_an_open_attempt_is_not_resumed_after_the_activity_ended(wang):
    bank()
    now = timezone.now()
    activity = one_minute(time_limit=0, closes_at=now + timedelta(seconds=60))
    first = services.start(activity, wang, now=now)
    with pytest.raises(services.Refused, match="已经结束"):
        services.start(activity, wang, now=now + timedelta(days=1))
    first.refresh_from_db()
    assert first.finished and Attempt.objects.count() == 1


def test_an_answer_after_the_activity_was_disabled_is_refused(wang):
    bank()
    activity = one_minute(time_limit=0)
    attempt = services.start(activity, wang)
    Activity.objects.filter(pk=activity.pk).update(enabled=False)
    with pytest.raises(services.Refused, match="已停用"):
        services.answer(attempt.pk, wang, attempt.question_ids()[0], ["B"], "k1")
    assert not Answer.objects.exists() and Attempt.objects.get(pk=attempt.pk).finished


def test_a_hand_in_days_after_the_end_stores_nothing_and_says_why(client, branches):
    bank()
    wang = signed_in(client, branches["first"], "1001")
    now = timezone.now()
    activity = one_minute(time_limit=0, closes_at=now + timedelta(seconds=60))
    attempt = services.start(activity, wang)
    q1 = Question.objects.get(pk=attempt.question_ids()[0])
    services.answer(attempt.pk, wang, q1.pk, right_given(q1), "k1")
    Activity.objects.filter(pk=activity.pk).update(closes_at=now - timedelta(days=2))
    form = {f"q{q}": ["B"] for q in attempt.question_ids()}
    response = client.post(reverse("quiz:finish", args=[attempt.pk]), form)
    assert response.status_code == 409 and "答题活动已经结束" in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.finished and Answer.objects.count() == 1 and attempt.correct_count == 1


def test_a_page_opened_after_the_activity_was_disabled_shows_the_result(client, branches):
    bank()
    wang = signed_in(client, branches["first"], "1001")
    activity = one_minute(time_limit=0)
    attempt = services.start(activity, wang)
    Activity.objects.filter(pk=activity.pk).update(enabled=False)
    response = client.get(reverse("quiz:attempt", args=[attempt.pk]))
    assert response.url == reverse("quiz:result", args=[attempt.pk])


# Points are for answering, and the full-score bonus for the first go of the day.


def test_a_blank_hand_in_earns_no_points(client, branches):
    bank()
    wang = signed_in(client, branches["first"], "1001")
    attempt = services.start(one_minute(), wang)
    client.post(reverse("quiz:finish", args=[attempt.pk]), {})
    assert Attempt.objects.get(pk=attempt.pk).finished
    assert not Entry.objects.filter(member=wang).exists()


def answer_all(attempt: Attempt, member, wrong: int | None = None) -> None:
    for i, q in enumerate(Question.objects.filter(pk__in=attempt.question_ids())):
        services.answer(attempt.pk, member, q.pk, ["甲甲"] if i == wrong else right_given(q), "k")
    services.finish(attempt, member)


def test_the_full_score_bonus_goes_only_to_the_first_attempt_of_the_day(wang):
    bank(5, 0)
    daily = one_minute(mode="daily", title="每日一练")
    answer_all(services.start(daily, wang), wang, wrong=0)
    answer_all(services.start(daily, wang), wang)  # the same set again, now from memory
    assert sorted(Entry.objects.values_list("action", flat=True)) == ["quiz_finish"] * 2


# A question deleted from the bank after it was drawn.


def test_the_pages_skip_a_drawn_question_deleted_since(client, branches):
    bank()
    wang = signed_in(client, branches["first"], "1001")
    attempt = services.start(one_minute(), wang)
    kept = Question.objects.get(pk=attempt.question_ids()[0])
    services.answer(attempt.pk, wang, kept.pk, right_given(kept), "k1")
    gone = Question.objects.get(pk=attempt.question_ids()[1])
    gone.delete()
    page = client.get(reverse("quiz:attempt", args=[attempt.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert kept.stem in body and gone.stem not in body
    client.post(reverse("quiz:finish", args=[attempt.pk]), {})
    attempt.refresh_from_db()
    assert attempt.score == kept.score and attempt.correct_count == 1
    result = client.get(reverse("quiz:result", args=[attempt.pk]))
    assert result.status_code == 200 and kept.explanation in result.content.decode()
