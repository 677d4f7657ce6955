"""Scaled-mode counter flushes are exactly-once: however many run at once, and whoever dies
when, every read recorded in Redis is stored once.

Against a real Redis (REDIS_TEST_URL) and the suite's database; CI runs the suite on SQLite
and on PostgreSQL. The processes here are real: readers and flushers are children that each
open their own connections, and the flushers that die are killed with SIGKILL.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from tests import factories
from weizhi.analytics import counters
from weizhi.analytics.counters import AlreadyApplied, RedisCounter, write_batch
from weizhi.analytics.models import AppliedCounterBatch, PageStats

REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_TEST_URL, reason="REDIS_TEST_URL is not set")

ROOT = Path(__file__).resolve().parent.parent

# Each child: django.setup() on the database the test hands it, then one role.
CHILD = """
import json, os, sys, time
from datetime import date
import django
django.setup()
from django.db.models import Sum
from weizhi.analytics.counters import RedisCounter
from weizhi.analytics.models import AppliedCounterBatch, DailyPageStats, DailyVisitor, PageStats
role, url, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
counter = RedisCounter(url)
if role in {"read", "flush"}:
    print("ready", flush=True)
    sys.stdin.readline()
if role == "read":
    for i in range(args["reads"]):
        page = args["pages"][i % len(args["pages"])]
        counter.record(page, f"{args['reader']}{i % 7:031x}", date(2026, 12, 1 + i % 2))
elif role == "once":
    counter.flush()
elif role == "flush":
    # Until the readers are done, then once more. A flush that fails is tried again by the
    # next, as the scheduler's next job would.
    failed = 0
    while not os.path.exists(args["stop"]):
        try:
            counter.flush()
        except Exception as exc:
            failed += 1
            print(repr(exc), file=sys.stderr)
        time.sleep(0.002)
    counter.flush()
    print(failed)
elif role == "totals":
    counter.flush()
    print(json.dumps({
        "reads": PageStats.objects.aggregate(n=Sum("reads"))["n"] or 0,
        "daily": DailyPageStats.objects.aggregate(n=Sum("reads"))["n"] or 0,
        "visitors": PageStats.objects.aggregate(n=Sum("visitors"))["n"] or 0,
        "visitor_rows": DailyVisitor.objects.count(),
        "pending": counter.pending(),
        "claimed": counter.redis.scard(counter.BATCHES),
        "records": AppliedCounterBatch.objects.count(),
    }))
"""


@pytest.fixture
def redis_db():
    client = redis.Redis.from_url(REDIS_TEST_URL)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def scaled(redis_db, settings):
    settings.REDIS_URL = REDIS_TEST_URL
    counters.reset_counter()
    yield counters.get_counter()
    counters.reset_counter()


def reads_of(page) -> int:
    row = PageStats.objects.filter(page_id=page.pk).first()
    return row.reads if row else 0


def test_a_batch_written_by_a_flusher_that_died_before_dropping_it_is_not_counted_again(
    home, scaled
):
    page = factories.article()
    for _ in range(3):
        scaled.record(page.pk, "a" * 32, date.today())
    (batch,) = scaled.claim()
    # What the flusher committed before it died: the batch, under its id.
    write_batch(*scaled.read_batch(batch), batch_id=batch)
    assert reads_of(page) == 3

    scaled.flush()

    assert reads_of(page) == 3
    assert scaled.pending() == 0
    assert not scaled.redis.exists(*scaled.batch_keys(batch), scaled.BATCHES)


def test_writing_a_batch_again_is_refused_and_adds_nothing(home, scaled):
    page = factories.article()
    scaled.record(page.pk, "a" * 32, date.today())
    scaled.record(page.pk, "b" * 32, date.today())
    (batch,) = scaled.claim()
    reads, visitors, _tallies = scaled.read_batch(batch)
    write_batch(reads, visitors, batch_id=batch)
    with pytest.raises(AlreadyApplied):
        write_batch(reads, visitors, batch_id=batch)
    assert not scaled.write(batch)
    row = PageStats.objects.get(page_id=page.pk)
    assert (row.reads, row.visitors) == (2, 2)


def test_a_flusher_still_holding_a_batch_dropped_and_forgotten_since_writes_nothing(home, scaled):
    page = factories.article()
    scaled.record(page.pk, None, date.today())
    (batch,) = scaled.claim()
    held = scaled.read_batch(batch)  # a flusher reads the batch, then stalls
    assert scaled.write(batch)  # another writes and drops it
    assert scaled.forget_dropped_batches() == 1
    assert not AppliedCounterBatch.objects.exists()

    with pytest.raises(AlreadyApplied):
        write_batch(*held, batch_id=batch, still_claimed=lambda: scaled.is_claimed(batch))

    assert reads_of(page) == 1


def test_the_ids_of_dropped_batches_are_forgotten_and_those_still_claimed_kept(home, scaled):
    page = factories.article()
    scaled.record(page.pk, None, date.today())
    (dropped,) = scaled.claim()
    scaled.write(dropped)
    scaled.record(page.pk, None, date.today())
    (kept,) = scaled.claim()
    # Written, then its flusher died before dropping it: its keys are still in Redis.
    write_batch(*scaled.read_batch(kept), batch_id=kept)

    assert scaled.forget_dropped_batches() == 1

    assert list(AppliedCounterBatch.objects.values_list("name", flat=True)) == [kept]
    scaled.flush()
    assert reads_of(page) == 2


def test_health_reports_the_reads_waiting_in_redis_and_the_age_of_the_oldest(
    client, home, scaled, settings
):
    page = factories.article()
    assert client.get("/healthz").json()["counters"]["reads_waiting"] == 0
    for _ in range(2):
        scaled.record(page.pk, None, date.today())
    scaled.claim()  # a batch claimed and not written yet counts too
    scaled.record(page.pk, None, date.today())
    part = client.get("/healthz").json()["counters"]
    assert part["ok"] is True and part["reads_waiting"] == 3
    assert part["oldest_unflushed_seconds"] < settings.HEALTH_COUNTER_MAX_AGE_SECONDS

    # The oldest count moves with its batch: make the claimed one ten minutes old.
    (batch,) = [m.decode() for m in scaled.redis.smembers(scaled.BATCHES)]
    scaled.redis.set(scaled.batch_keys(batch)[2], repr(time.time() - 600))
    settings.HEALTH_COUNTER_MAX_AGE_SECONDS = 300
    response = client.get("/healthz")
    assert response.status_code == 503
    part = response.json()["counters"]
    assert part["ok"] is False and part["oldest_unflushed_seconds"] >= 600

    scaled.flush()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["counters"] == {
        "ok": True,
        "reads_waiting": 0,
        "oldest_unflushed_seconds": 0.0,
    }


@pytest.fixture
def child_env(tmp_path):
    """The environment of a child that uses the test's database: the test database itself on
    PostgreSQL; on SQLite (in memory for the suite) a copy in a file, handed back for reading."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="weizhi.settings", WEIZHI_VAR_DIR=str(tmp_path))
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
        env["SECRET_KEY"] = settings.SECRET_KEY
        if db.get("PASSWORD"):
            env["PGPASSWORD"] = db["PASSWORD"]
    return env


def share_sqlite_database(tmp_path: Path) -> None:
    if connection.vendor != "sqlite":
        return
    connection.ensure_connection()
    target = sqlite3.connect(tmp_path / "weizhi.sqlite3")
    connection.connection.backup(target)
    # In WAL mode already, as migrate leaves a real database (see the token test).
    target.execute("PRAGMA journal_mode=WAL")
    target.close()


def start(role: str, env: dict, stop_at: str = "", **args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, role, REDIS_TEST_URL, json.dumps(args)],
        cwd=ROOT,
        env={**env, "WEIZHI_FLUSH_STOP_AT": stop_at},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(child: subprocess.Popen) -> str:
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0, err[-3000:]
    return out


def go(children: list[subprocess.Popen]) -> None:
    """Let children that are ready go all at once."""
    for child in children:
        assert child.stdout.readline().strip() == "ready", child.stderr.read()[-3000:]
    for child in children:
        child.stdin.write("go\n")
        child.stdin.flush()


def totals(env: dict) -> dict:
    return json.loads(finish(start("totals", env)))


READS_EACH, READERS = 1500, 3


def start_readers_and_flushers(
    env: dict, tmp_path: Path, pages: list[int]
) -> tuple[list[subprocess.Popen], list[subprocess.Popen], Path]:
    """Four flushers that run until `stop` appears, and three readers recording reads."""
    stop = tmp_path / "readers-done"
    flushers = [start("flush", env, stop=str(stop)) for _ in range(4)]
    reading = [
        start("read", env, reads=READS_EACH, pages=pages, reader=f"{r}") for r in range(READERS)
    ]
    return reading, flushers, stop


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_flushes_running_at_once_in_several_processes_store_every_read_once(
    redis_db, child_env, tmp_path
):
    factories.site_home()
    pages = [factories.article(title=f"计数 {i}").pk for i in range(4)]
    share_sqlite_database(tmp_path)
    reading, flushers, stop = start_readers_and_flushers(child_env, tmp_path, pages)
    go(reading + flushers)
    for child in reading:
        finish(child)
    stop.touch()
    failed = [int(finish(child).split()[-1]) for child in flushers]

    stored = totals(child_env)

    recorded = READS_EACH * READERS
    print(f"recorded {recorded}, stored {stored}, failed flushes {failed}")
    assert stored["reads"] == stored["daily"] == recorded
    assert stored["pending"] == 0
    # 7 readers per reading process, each on every page (on one of the two days).
    assert stored["visitor_rows"] == stored["visitors"] == READERS * 7 * len(pages)


def record(counter: RedisCounter, reader: str, reads: int, pages: list[int]) -> None:
    """As a reading child does."""
    for i in range(reads):
        page = pages[i % len(pages)]
        counter.record(page, f"{reader}{i % 7:031x}", date(2026, 12, 1 + i % 2))


def wait_until_stopped(child: subprocess.Popen) -> None:
    """Until the child stops itself where WEIZHI_FLUSH_STOP_AT told it to."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        pid, status = os.waitpid(child.pid, os.WUNTRACED | os.WNOHANG)
        if pid:
            assert os.WIFSTOPPED(status), child.stderr.read()[-3000:]
            return
        time.sleep(0.05)
    child.kill()
    pytest.fail(f"the flusher never reached its stop: {child.stderr.read()[-3000:]}")


def kill(child: subprocess.Popen) -> None:
    child.send_signal(signal.SIGKILL)
    assert child.wait(timeout=60) == -signal.SIGKILL


def wait_for_a_blocked_writer() -> None:
    """On PostgreSQL, until a flusher waits for the stopped one's uncommitted record."""
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + 120
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    pytest.fail("no flusher waited for the batch being written")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_flushers_killed_at_every_step_leave_exact_totals_once_another_has_flushed(
    redis_db, child_env, tmp_path
):
    factories.site_home()
    pages = [factories.article(title=f"计数 {i}").pk for i in range(4)]
    share_sqlite_database(tmp_path)
    counter = RedisCounter(REDIS_TEST_URL)

    record(counter, "a", 500, pages)
    # Killed after claiming the live counts, before writing them: the batch stays claimed.
    claimed = start("once", child_env, stop_at="claimed")
    wait_until_stopped(claimed)
    kill(claimed)
    (batch,) = [m.decode() for m in redis_db.smembers(counter.BATCHES)]
    assert counter.pending() == 500

    record(counter, "b", 500, pages)
    # Killed after committing that batch, before dropping it: written, and still claimed.
    written = start("once", child_env, stop_at="written")
    wait_until_stopped(written)
    kill(written)
    assert redis_db.smembers(counter.BATCHES) == {batch.encode()}

    record(counter, "c", 500, pages)
    # Stopped inside the transaction that writes the live counts, its batch id recorded but
    # not committed (after dropping the batch above, found written): killed while the
    # flushers below wait for its outcome.
    recorded = start("once", child_env, stop_at="recorded")
    wait_until_stopped(recorded)
    assert counter.pending() == 1000

    reading, flushers, stop = start_readers_and_flushers(child_env, tmp_path, pages)
    go(reading + flushers)
    wait_for_a_blocked_writer()
    kill(recorded)
    for child in reading:
        finish(child)
    stop.touch()
    failed = [int(finish(child).split()[-1]) for child in flushers]

    stored = totals(child_env)

    recorded_reads = 3 * 500 + READS_EACH * READERS
    print(f"recorded {recorded_reads}, stored {stored}, failed flushes {failed}")
    assert stored["reads"] == stored["daily"] == recorded_reads
    assert (stored["pending"], stored["claimed"], stored["records"]) == (0, 0, 0)
    # 7 readers per prefix (a, b, c and one per reading child), each on every page.
    assert stored["visitor_rows"] == stored["visitors"] == (3 + READERS) * 7 * len(pages)
