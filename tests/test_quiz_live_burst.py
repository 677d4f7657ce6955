"""A burst in one 现场竞答: 200 phones answer the same question from eight threads at once,
every phone twice (a retry after a lost response), while the host reveals the answer at the
end. One answer per phone, the refused retries store nothing, each score is the sum of its
own answers, and the distribution cached at the reveal counts every stored answer. Runs on
whichever database the tests use (SQLite by default, PostgreSQL with DATABASE_URL)."""

import threading

import pytest
from django.db import connection

from tests.base import user_in
from tests.quiz_support import bank, one_minute
from tests.test_quiz_burst import retrying
from weizhi.audience.models import Branch, Member, PoliticalStatus
from weizhi.quiz import live
from weizhi.quiz.models import LiveAnswer, LivePlayer
from weizhi.quiz.services import Refused

PHONES, THREADS = 200, 8


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_hundred_phones_answering_at_once_are_each_counted_once():
    branch = Branch.objects.create(name="第一党支部", kind="branch")
    Member.objects.bulk_create(
        Member(name=f"党员{i}", employee_number=f"L{i:05d}", branch=branch,
               status=PoliticalStatus.FULL)
        for i in range(PHONES)
    )  # fmt: skip
    bank(2, 0)
    editor = user_in("编辑", "editor")
    session = live.open_session(editor, one_minute(question_count=1), seconds=300)
    players = [live.join_member(session, m) for m in Member.objects.order_by("pk")]
    session = live.step(session, "start", editor)
    errors: list[BaseException] = []
    refused: list[str] = []

    def phone(n: int) -> None:
        try:
            for i in range(n, PHONES, THREADS):
                for _ in range(2):
                    try:
                        retrying(live.answer, players[i], 0, "ABCD"[i % 4])
                    except Refused as exc:
                        refused.append(exc.message)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=phone, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert LiveAnswer.objects.count() == PHONES
    assert refused == ["这道题已经作答，不能再改。"] * PHONES
    for player in LivePlayer.objects.prefetch_related("answers"):
        assert player.score == sum(a.points for a in player.answers.all())
    live.step(session, "reveal", editor)
    counts = live.screen_state(session.pk)["counts"]
    assert counts == {letter: PHONES // 4 for letter in "ABCD"}
