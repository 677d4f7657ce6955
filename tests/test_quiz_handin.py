"""Handing in through the form: one short transaction whose number of queries is pinned, the
same outcome as answering question by question, and the refusals of tampering kept."""

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection
from django.urls import reverse
from django.utils import timezone

from tests.quiz_support import bank, one_minute, right_given, signed_in
from tests.test_audience_support import fast_passwords, member, tree  # noqa: F401
from weizhi.analytics.models import ActivityEvent
from weizhi.points import services as points
from weizhi.points.models import Entry, Rule
from weizhi.quiz import services
from weizhi.quiz.models import Answer, Attempt, Question

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

# An honest upper bound, counted on SQLite (15) and PostgreSQL (16, the member's lock for the
# points cap): the session, the member, the attempt and the drawn questions (read and marked
# before the transaction), then in one transaction the attempt again (locked) with its stored
# answers, one INSERT of the answers, the attempt's UPDATE, the points rules, the ledger rows,
# one INSERT of the awards, the activity event; in a test, savepoints stand for BEGIN and
# COMMIT. It used to take 30 queries.
HAND_IN_QUERIES = 16


@pytest.fixture
def branches():
    return tree()


def form_of(attempt: Attempt, wrong: int | None = None) -> dict:
    form = {}
    for i, q in enumerate(Question.objects.filter(pk__in=attempt.question_ids())):
        form[f"q{q.pk}"] = ["甲甲"] if i == wrong else right_given(q)
    return form


def test_a_hand_in_takes_a_pinned_number_of_queries(
    client, branches, django_assert_max_num_queries
):
    bank()
    wang = signed_in(client, branches["first"], "1001")
    attempt = services.start(one_minute(), wang)
    with django_assert_max_num_queries(HAND_IN_QUERIES) as queries:
        response = client.post(reverse("quiz:finish", args=[attempt.pk]), form_of(attempt))
    assert response.url == reverse("quiz:result", args=[attempt.pk])
    # Every answer in one INSERT, whatever the number of questions.
    inserts = [
        q["sql"] for q in queries if q["sql"].startswith("INSERT") and "quiz_answer" in q["sql"]
    ]
    assert len(inserts) == 1
    attempt.refresh_from_db()
    assert attempt.finished and attempt.correct_count == 5 == Answer.objects.count()
    # Stored as the ORM stores a time (on SQLite, naive UTC text): found by an exact match.
    assert Attempt.objects.filter(finished_at=attempt.finished_at).count() == 1


def test_the_form_scores_as_answering_one_by_one_would(client, branches):
    bank()
    wang = signed_in(client, branches["first"], "1001")
    attempt = services.start(one_minute(), wang)
    client.post(reverse("quiz:finish", args=[attempt.pk]), form_of(attempt, wrong=1))
    attempt.refresh_from_db()
    stored = list(attempt.answers.all())
    assert len(stored) == 5 and sum(not a.correct for a in stored) == 1
    assert attempt.correct_count == 4
    assert attempt.score == sum((a.points for a in stored), Decimal(0))
    assert list(Entry.objects.filter(member=wang).values_list("action", flat=True)) == [
        "quiz_finish"
    ]  # not full marks: no bonus
    event = ActivityEvent.objects.get(kind="quiz", member=wang)
    assert event.key == f"attempt:{attempt.pk}" and Decimal(str(event.value)) == attempt.score


def test_an_answer_stored_before_the_form_keeps_its_mark(client, branches):
    bank()
    wang = signed_in(client, branches["first"], "1001")
    attempt = services.start(one_minute(), wang)
    first = attempt.question_ids()[0]
    services.answer(attempt.pk, wang, first, ["甲甲"], "k1")  # wrong, on its own
    client.post(reverse("quiz:finish", args=[attempt.pk]), form_of(attempt))
    attempt.refresh_from_db()
    assert Answer.objects.count() == 5 and not Answer.objects.get(question_id=first).correct
    assert attempt.correct_count == 4


def test_handing_in_twice_counts_once(client, branches):
    bank()
    wang = signed_in(client, branches["first"], "1001")
    attempt = services.start(one_minute(), wang)
    url = reverse("quiz:finish", args=[attempt.pk])
    client.post(url, form_of(attempt, wrong=0))
    finished_at = Attempt.objects.get(pk=attempt.pk).finished_at
    client.post(url, form_of(attempt))
    attempt.refresh_from_db()
    assert attempt.finished_at == finished_at and attempt.correct_count == 4
    assert Answer.objects.count() == 5
    assert Entry.objects.filter(member=wang).count() == 1
    assert ActivityEvent.objects.filter(kind="quiz").count() == 1


def test_an_answer_after_the_hand_in_is_refused(client, branches):
    bank()
    wang = signed_in(client, branches["first"], "1001")
    attempt = services.start(one_minute(), wang)
    later = attempt.question_ids()[1]
    client.post(reverse("quiz:finish", args=[attempt.pk]), {})
    late = client.post(
        reverse("quiz:answer", args=[attempt.pk]), {"question": later, "given": ["B"], "key": "x"}
    )
    assert late.status_code == 409 and "已经交卷" in late.json()["message"]
    assert not Answer.objects.exists()


def test_a_late_form_stores_nothing_but_hands_in(client, branches):
    bank()
    wang = signed_in(client, branches["first"], "1001")
    attempt = services.start(one_minute(), wang)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(seconds=10))
    client.post(reverse("quiz:finish", args=[attempt.pk]), form_of(attempt))
    attempt.refresh_from_db()
    assert attempt.finished and attempt.score == 0 and not Answer.objects.exists()


def test_the_form_ignores_questions_not_drawn_and_forged_scores(client, branches):
    made = bank(6, 3)
    wang = signed_in(client, branches["first"], "1001")
    attempt = services.start(one_minute(question_count=3), wang)
    other = next(q for q in made if q.pk not in attempt.question_ids())
    form = {**form_of(attempt), f"q{other.pk}": right_given(other)}
    client.post(reverse("quiz:finish", args=[attempt.pk]), form)
    assert not Answer.objects.filter(question=other).exists()
    assert Answer.objects.count() == 3
    forged = client.post(reverse("quiz:finish", args=[attempt.pk]), {"correct_count": 99})
    assert forged.status_code == 400


def test_another_members_hand_in_is_not_found_and_stores_nothing(client, branches):
    bank()
    owner = member(branches["second"], "2002", name="李四")
    attempt = services.start(one_minute(), owner)
    signed_in(client, branches["first"], "1001")
    response = client.post(reverse("quiz:finish", args=[attempt.pk]), form_of(attempt))
    assert response.status_code == 404
    assert not Answer.objects.exists() and not Attempt.objects.get(pk=attempt.pk).finished


def test_the_hand_in_locks_the_attempt_on_postgresql(
    client, branches, django_assert_max_num_queries
):
    if connection.vendor != "postgresql":
        assert connection.vendor == "sqlite"  # BEGIN IMMEDIATE serialises the writers there
        return
    bank()
    wang = signed_in(client, branches["first"], "1001")
    attempt = services.start(one_minute(), wang)
    with django_assert_max_num_queries(HAND_IN_QUERIES) as queries:
        client.post(reverse("quiz:finish", args=[attempt.pk]), form_of(attempt))
    assert any("quiz_attempt" in q["sql"] and "FOR UPDATE" in q["sql"] for q in queries)


def test_awards_in_one_batch_come_out_as_one_after_another(branches):
    wang = member(branches["first"], "1001", name="王芳")
    points.award(wang, "quiz_finish", "attempt:0")  # 2 of the 6 a day
    batch = [
        ("quiz_finish", "attempt:1"),
        ("quiz_finish", "attempt:1"),  # the same key twice in one batch
        ("quiz_finish", "attempt:0"),  # already in the ledger
        ("quiz_finish", "attempt:2"),
        ("quiz_finish", "attempt:3"),  # over the cap by now
        ("no_such_action", "x"),
    ]
    outcomes = points.award_many(wang, batch)
    assert [o.outcome for o in outcomes] == [
        points.AWARDED, points.DUPLICATE, points.DUPLICATE, points.AWARDED, points.CAPPED,
        points.NO_RULE,
    ]  # fmt: skip
    assert points.total(wang) == 6 == sum(o.points for o in outcomes) + 2
    assert all(o.entry.pk for o in outcomes if o.outcome == points.AWARDED)


def test_awards_take_the_rules_a_caller_read_before(branches):
    wang = member(branches["first"], "1001", name="王芳")
    rules = points.rules_for(["quiz_finish", "quiz_full_score"])
    rules["quiz_finish"].points = 5  # as if read before an editor changed it to 2
    outcomes = points.award_many(wang, [("quiz_finish", "attempt:1")], rules=rules)
    assert [(o.outcome, o.points) for o in outcomes] == [(points.AWARDED, 5)]
    # A rule passed for an action not awarded is ignored; an action without one earns nothing.
    assert points.award_many(wang, [("no_such_action", "x")], rules=rules)[0].outcome == (
        points.NO_RULE
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_hand_ins_written_together_fail_one_by_one(branches):
    """Hand-ins that arrive together are written in one transaction; when that fails, each
    is written alone, and only the one at fault is refused."""
    bank(4, 0, category="甲")
    bank(4, 0, category="乙")
    wang = member(branches["first"], "1001", name="王芳")
    li = member(branches["first"], "1002", name="李明")
    first = services.start(one_minute(category="甲", question_count=3), wang)
    second = services.start(one_minute(category="乙", question_count=3), li)
    jobs = [
        services._prepare_hand_in(first.pk, wang, right_given, None),
        services._prepare_hand_in(second.pk, li, right_given, None),
    ]
    # Deleted after the second form was marked and before it is written: its answer can no
    # longer be stored, and the batch fails at its commit.
    Question.objects.filter(pk=second.question_ids()[0]).delete()
    services._write_hand_ins(jobs)
    assert jobs[0].error is None
    assert jobs[1].error is not None
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.finished and first.correct_count == 3
    assert Answer.objects.filter(attempt=first).count() == 3
    assert Entry.objects.filter(key=f"attempt:{first.pk}").count() == 1
    assert not second.finished
    assert not Answer.objects.filter(attempt=second).exists()
    assert not Entry.objects.filter(key=f"attempt:{second.pk}").exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_hand_ins_written_together_are_each_their_own(branches):
    bank(4, 0, category="甲")
    people = [member(branches["first"], f"10{n:02d}", name=f"党员{n}") for n in range(4)]
    activity = one_minute(category="甲", question_count=3)
    attempts = [services.start(activity, p) for p in people]
    jobs = [
        services._prepare_hand_in(a.pk, p, right_given if n % 2 else lambda q: ["A"], None)
        for n, (a, p) in enumerate(zip(attempts, people, strict=True))
    ]
    services._write_hand_ins(jobs)
    assert all(job.error is None for job in jobs)
    for n, attempt in enumerate(attempts):
        attempt.refresh_from_db()
        assert attempt.finished
        assert attempt.correct_count == (3 if n % 2 else 0)
        assert attempt.score == sum(a.points for a in attempt.answers.all())
        assert Entry.objects.filter(key=f"attempt:{attempt.pk}", action="quiz_finish").count() == 1


def test_one_attempt_handed_in_twice_in_one_batch_is_written_once(branches):
    """Two tabs hand in the same attempt at once and both land in one batch, whose reads are
    made once for all: the first is written, the second finds it handed in."""
    bank(4, 0, category="甲")
    wang = member(branches["first"], "1001", name="王芳")
    attempt = services.start(one_minute(category="甲", question_count=3), wang)
    jobs = [
        services._prepare_hand_in(attempt.pk, wang, right_given, None),
        services._prepare_hand_in(attempt.pk, wang, lambda q: ["A"], None),
    ]
    services._write_hand_ins(jobs)
    assert [job.handed_in_before for job in jobs] == [False, True]
    attempt.refresh_from_db()
    assert attempt.finished and attempt.correct_count == 3
    assert Answer.objects.filter(attempt=attempt).count() == 3
    assert Entry.objects.filter(key=f"attempt:{attempt.pk}").count() == 1
    assert ActivityEvent.objects.filter(key=f"attempt:{attempt.pk}").count() == 1


def test_each_hand_in_of_a_batch_is_awarded_by_the_rules_it_read(branches):
    """An editor changes a rule between two hand-ins that are then written in one batch: each
    earns what the rules said when it was marked, and the cap counts both."""
    bank(4, 0, category="甲")
    people = [member(branches["first"], f"10{n:02d}", name=f"党员{n}") for n in range(3)]
    activity = one_minute(category="甲", question_count=3)
    attempts = [services.start(activity, p) for p in people]
    early = services._prepare_hand_in(attempts[0].pk, people[0], right_given, None)
    Rule.objects.filter(action="quiz_finish").update(points=5)
    late = [
        services._prepare_hand_in(a.pk, p, right_given, None)
        for a, p in zip(attempts[1:], people[1:], strict=True)
    ]
    services._write_hand_ins([*late, early])
    earned = dict(Entry.objects.filter(action="quiz_finish").values_list("member_id", "points"))
    assert earned == {people[0].pk: 2, people[1].pk: 5, people[2].pk: 5}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_hand_in_that_fails_in_a_batch_is_refused_to_its_own_caller_only(branches):
    """Three members hand in at once and their hand-ins are written as one batch; one of them
    cannot be stored. The batch fails, each is written again alone, and only that member's
    request gets the error: the others are finished, and nothing of the failed one is kept."""
    bank(4, 0, category="甲")
    bank(4, 0, category="乙")
    people = [member(branches["first"], f"10{n:02d}", name=f"党员{n}") for n in range(3)]
    fine = one_minute(category="甲", question_count=3)
    doomed = one_minute(category="乙", question_count=3)
    attempts = [services.start(doomed if n == 1 else fine, p) for n, p in enumerate(people)]
    outcomes: dict[int, object] = {}

    def hand_in(n: int) -> None:
        try:
            outcomes[n] = services.hand_in(attempts[n].pk, people[n], right_given)
        except Exception as error:  # what this member's request would answer with
            outcomes[n] = error
        finally:
            connection.close()

    group = services._hand_ins
    # Hold the writer's lock, as a batch being written does, so that all three queue up.
    with group._writer_lock:
        threads = [threading.Thread(target=hand_in, args=(n,)) for n in range(3)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while len(group._queue) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(group._queue) == 3, "the three hand-ins did not queue up"
        # Marked and waiting; a question of the second is deleted before it is written.
        Question.objects.filter(pk=attempts[1].question_ids()[0]).delete()
    for t in threads:
        t.join(30)
    assert isinstance(outcomes[1], IntegrityError)
    for n in (0, 2):
        assert isinstance(outcomes[n], Attempt) and outcomes[n].correct_count == 3
        attempts[n].refresh_from_db()
        assert attempts[n].finished
        assert Entry.objects.filter(key=f"attempt:{attempts[n].pk}").count() == 1
    attempts[1].refresh_from_db()
    assert not attempts[1].finished
    assert not Answer.objects.filter(attempt=attempts[1]).exists()
    assert not Entry.objects.filter(key=f"attempt:{attempts[1].pk}").exists()
