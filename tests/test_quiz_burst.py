"""A burst: 1,000 members hand in within the same minute, from eight threads at once, every
answer sent twice (a phone retrying with the same idempotency key) and every hand-in twice.
Nothing may be lost and nothing counted twice: one answer per question, one finished attempt
and one points award per member, each score the sum of its own answers. Runs on whichever
database the tests use (SQLite by default, PostgreSQL with DATABASE_URL)."""

import random
import threading
import time
from decimal import Decimal

import pytest
from django.db import OperationalError, connection

from tests.quiz_support import bank, one_minute
from weizhi.audience.models import Branch, Member, PoliticalStatus
from weizhi.points.models import Entry
from weizhi.quiz import services
from weizhi.quiz.models import Answer, Attempt, Question

MEMBERS, THREADS = 1000, 8


def retrying(call, *args):
    """As a phone would: a request that failed (here, a test database that reports its
    tables locked) is sent again, with the same key."""
    for attempt in range(500):
        try:
            return call(*args)
        except OperationalError as exc:
            last = exc
            time.sleep(random.uniform(0.001, 0.01) * min(attempt + 1, 10))
    raise AssertionError(f"gave up after 500 tries: {last}")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_thousand_hand_ins_in_the_same_minute_lose_nothing_and_count_nothing_twice():
    branch = Branch.objects.create(name="第一党支部", kind="branch")
    Member.objects.bulk_create(
        Member(name=f"党员{i}", employee_number=f"B{i:05d}", branch=branch,
               status=PoliticalStatus.FULL)
        for i in range(MEMBERS)
    )  # fmt: skip
    members = list(Member.objects.order_by("pk"))
    bank(4, 4)
    # The deadline is checked on every answer, but setting up 1,000 attempts on a busy
    # machine may take longer than a minute: the clock is not what this test is about.
    activity = one_minute(question_count=3, time_limit=3600)
    attempts = [services.start(activity, m) for m in members]
    kinds = dict(Question.objects.values_list("pk", "answer"))
    errors: list[BaseException] = []

    def hand_in(n: int) -> None:
        try:
            for i in range(n, MEMBERS, THREADS):
                member, attempt = members[i], attempts[i]
                for j, qid in enumerate(attempt.question_ids()):
                    # Every second member answers the last question wrongly.
                    given = ["A"] if (i % 2 and j == 2) else [kinds[qid]]
                    for _ in range(2):
                        retrying(services.answer, attempt.pk, member, qid, given, f"{i}-{j}")
                for _ in range(2):
                    retrying(services.finish, attempt, member)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=hand_in, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert Answer.objects.count() == MEMBERS * 3
    assert Attempt.objects.filter(finished_at__isnull=False).count() == MEMBERS
    assert Entry.objects.filter(action="quiz_finish").count() == MEMBERS
    assert Entry.objects.filter(action="quiz_full_score").count() == MEMBERS // 2
    for attempt in Attempt.objects.all():
        own = sum((a.points for a in attempt.answers.all()), Decimal(0))
        assert attempt.score == own
    scores = sorted(set(Attempt.objects.values_list("correct_count", flat=True)))
    assert scores == [2, 3]
