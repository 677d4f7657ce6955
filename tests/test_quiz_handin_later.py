"""Under `manage.py serve` (RSGI, core/bodyfirst.py) a hand-in is written by the process's quiz
writer while the web thread goes on: the redirect is sent only once the hand-in is committed,
a hand-in that cannot be stored gets a 500 (and its access line says so), and meanwhile the
one web thread answers other requests. The requests below are real hand-in forms with the
member's session cookie and CSRF token, through the whole middleware stack."""

import asyncio
import logging
import threading
import time
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import connections

from tests.base import run_coroutine
from tests.quiz_support import bank, one_minute, right_given, signed_in
from tests.test_audience_support import fast_passwords, tree  # noqa: F401
from weizhi.core.bodyfirst import BodyFirstApp
from weizhi.core.groupcommit import BackgroundCommit
from weizhi.points.models import Entry
from weizhi.quiz import services
from weizhi.quiz.models import Answer, Question
from weizhi.wsgi import application

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("fast_passwords"),
]

HOLD = 0.5  # seconds the writer is held before it writes
TOKEN = "k" * 32  # Django takes an unmasked 32-character CSRF token
PLUG = "plug"  # an item that keeps the held writer busy and writes nothing


def close_after(call, *args):
    """Threads of this test leave no connection open."""
    try:
        return call(*args)
    finally:
        connections.close_all()


class Phone:
    """granian's RSGI protocol for one request: the body as chunks, the answer recorded."""

    def __init__(self, body: bytes, committed: threading.Event) -> None:
        self.body, self.committed = body, committed
        self.answer: tuple | None = None
        self.answered_at = 0.0
        self.committed_when_answered = False

    async def __aiter__(self):
        yield self.body

    def response_bytes(self, status: int, headers: list, body: bytes) -> None:
        self.answer = (status, dict(headers), body)
        self.answered_at = time.monotonic()
        self.committed_when_answered = self.committed.is_set()


def scope(method: str, path: str, headers: dict) -> SimpleNamespace:
    return SimpleNamespace(
        proto="http", method=method, path=path, query_string="", headers=headers,
        server="127.0.0.1:8000", client="127.0.0.1:50000", scheme="http", http_version="1.1",
    )  # fmt: skip


@pytest.fixture
def held_writer(monkeypatch):
    """The quiz writer, held for HOLD seconds before each batch; `before_write` runs then."""
    committed = threading.Event()
    state = SimpleNamespace(committed=committed, before_write=lambda jobs: None, started=0.0)

    def write(jobs):
        time.sleep(max(0.0, state.started + HOLD - time.monotonic()))
        jobs = [job for job in jobs if job != PLUG]
        if not jobs:
            return
        state.before_write(jobs)
        try:
            services._write_in_background(jobs)
        finally:
            committed.set()

    writer = BackgroundCommit(lambda jobs: close_after(write, jobs), name="test-quiz", max_batch=64)
    monkeypatch.setattr(services, "_hand_ins_later", writer)
    return state


def hand_in_and_check_health(client, held_writer):
    """A member hands in; while the writer is held, /healthz asks too. One web thread."""
    branches = tree()
    bank()
    wang = signed_in(client, branches["first"], "1001")
    attempt = services.start(one_minute(), wang)
    form = {
        f"q{q.pk}": right_given(q) for q in Question.objects.filter(pk__in=attempt.question_ids())
    }
    body = urlencode({"csrfmiddlewaretoken": TOKEN, **form}, doseq=True).encode()
    cookie = (
        f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}; "
        f"{settings.CSRF_COOKIE_NAME}={TOKEN}"
    )
    headers = {
        "host": "127.0.0.1:8000",
        "cookie": cookie,
        "content-type": "application/x-www-form-urlencoded",
        "content-length": str(len(body)),
        "x-request-id": "handin0001",
    }
    app = BodyFirstApp(
        lambda environ, start: close_after(application, environ, start),
        threads=1, body_idle_seconds=5, max_body_bytes=100_000,
    )  # fmt: skip
    phone = Phone(body, held_writer.committed)
    health = Phone(b"", held_writer.committed)

    async def both():
        held_writer.started = time.monotonic()
        path = f"/quiz/attempt/{attempt.pk}/finish/"
        hand_in = asyncio.create_task(app.__rsgi__(scope("POST", path, headers), phone))
        await asyncio.sleep(0.05)  # the hand-in has the thread first
        await app.__rsgi__(scope("GET", "/healthz", {"host": "127.0.0.1:8000"}), health)
        await hand_in

    run_coroutine(both())
    return attempt, phone, health


def test_the_redirect_waits_for_the_commit_and_the_thread_does_not(client, held_writer, caplog):
    caplog.set_level(logging.INFO, logger="weizhi.access")
    attempt, phone, health = hand_in_and_check_health(client, held_writer)
    status, headers, _ = phone.answer
    assert status == 302
    assert headers["Location"] == f"/quiz/attempt/{attempt.pk}/result/"
    assert headers["X-Request-ID"] == "handin0001"
    assert phone.committed_when_answered
    assert phone.answered_at - held_writer.started >= HOLD
    # The one web thread answered /healthz while the hand-in waited for its commit.
    assert health.answer is not None and not health.committed_when_answered
    assert health.answered_at < phone.answered_at
    attempt.refresh_from_db()
    assert attempt.finished and attempt.correct_count == 5
    assert Answer.objects.filter(attempt=attempt).count() == 5
    assert Entry.objects.filter(key=f"attempt:{attempt.pk}", action="quiz_finish").count() == 1
    # Its access line is written once committed, with the time until then and its request id.
    line = next(
        r for r in caplog.records if f"/quiz/attempt/{attempt.pk}/finish/" in r.getMessage()
    )
    assert line.access["status"] == 302
    assert line.access["ms"] >= HOLD * 1000 * 0.9
    assert line.request_id == "handin0001"


def test_a_hand_in_that_cannot_be_stored_gets_a_500_and_nothing_of_it_is_kept(
    client, held_writer, caplog
):
    caplog.set_level(logging.INFO, logger="weizhi.access")

    def delete_a_question(jobs):  # after marking, before writing: its answer cannot be stored
        Question.objects.filter(pk=jobs[0].attempt.question_ids()[0]).delete()

    held_writer.before_write = delete_a_question
    attempt, phone, _ = hand_in_and_check_health(client, held_writer)
    status, headers, body = phone.answer
    assert status == 500
    # The site's own error page, in Chinese, with the id to quote to the IT staff.
    assert dict(headers)["content-type"] == "text/html; charset=utf-8"
    assert "服务暂时不可用" in body.decode() and "返回首页" in body.decode()
    assert dict(headers)["X-Request-ID"] == "handin0001"
    attempt.refresh_from_db()
    assert not attempt.finished
    assert not Answer.objects.filter(attempt=attempt).exists()
    assert not Entry.objects.filter(key=f"attempt:{attempt.pk}").exists()
    line = next(
        r for r in caplog.records if f"/quiz/attempt/{attempt.pk}/finish/" in r.getMessage()
    )
    assert line.access["status"] == 500


def test_in_a_batch_only_the_hand_in_at_fault_fails_and_the_other_is_answered(client, held_writer):
    """Two hand-ins written as one batch; one cannot be stored. The batch is written again one
    by one: the other is committed and its answer released, the one at fault gets its error."""
    from weizhi.core import answerafter

    branches = tree()
    bank(4, 0, category="甲")
    bank(4, 0, category="乙")  # the two attempts share no question
    wang = signed_in(client, branches["first"], "1001")
    li = signed_in(client, branches["first"], "1002", name="李明")
    first = services.start(one_minute(category="甲", question_count=3), wang)
    second = services.start(one_minute(category="乙", question_count=3), li)
    batches = []

    def delete_a_question_of_the_second(jobs):
        batches.append(len(jobs))
        Question.objects.filter(pk=second.question_ids()[0]).delete()

    held_writer.before_write = delete_a_question_of_the_second
    held_writer.started = time.monotonic()
    # The writer is busy (held) with a batch of its own while both hand-ins queue up.
    services._hand_ins_later.submit(PLUG, lambda error: None)
    requests = [{answerafter.ENVIRON_KEY: []}, {answerafter.ENVIRON_KEY: []}]
    for (attempt, person), meta in zip([(first, wang), (second, li)], requests, strict=True):
        later = answerafter.later(meta)
        assert services.hand_in(attempt.pk, person, right_given, later=later) is None
    first_write, second_write = (meta[answerafter.ENVIRON_KEY][0] for meta in requests)
    assert first_write.result(timeout=30) is None
    assert second_write.exception(timeout=30) is not None
    assert batches == [2]
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.finished and first.correct_count == 3
    assert not second.finished
    assert not Answer.objects.filter(attempt=second).exists()
