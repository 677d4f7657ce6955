"""Read counters that never block a page and never lose a count.

A page view only adds to a buffer: in embedded mode a buffer inside the web process,
written to the database by a background thread every few seconds and once more when the
process exits; in scaled mode a Redis hash shared by all web processes, written to the
database by the scheduler. Each write is one short transaction of additive upserts, so
concurrent flushes from several processes never overwrite each other.
"""

import atexit
import logging
import multiprocessing.util
import os
import threading
from collections import Counter
from datetime import date

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from wagtail.models import Page

from weizhi.analytics.models import DailyPageStats, DailyVisitor, PageStats

log = logging.getLogger(__name__)

Reads = Counter  # (page_id, day) -> count
Visitors = set  # {(page_id, day, reader)}


def write_batch(reads: Reads, visitors: Visitors) -> None:
    """Add a batch of buffered reads to the database in one transaction."""
    pages = {page_id for page_id, _ in reads} | {page_id for page_id, _, _ in visitors}
    if not pages:
        return
    existing = set(Page.objects.filter(pk__in=pages).values_list("pk", flat=True))
    totals: Counter = Counter()
    for (page_id, _day), count in reads.items():
        totals[page_id] += count
    stats = PageStats._meta.db_table
    daily = DailyPageStats._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        add_to_stats(cursor, "reads", [(p, n) for p, n in sorted(totals.items()) if p in existing])
        cursor.executemany(
            f"INSERT INTO {daily} (page_id, day, reads) VALUES (%s, %s, %s) "  # noqa: S608
            f"ON CONFLICT (page_id, day) DO UPDATE SET reads = {daily}.reads + EXCLUDED.reads",
            [(p, d, n) for (p, d), n in sorted(reads.items()) if p in existing],
        )
        DailyVisitor.objects.bulk_create(
            [DailyVisitor(page_id=p, day=d, reader=r) for p, d, r in visitors if p in existing],
            ignore_conflicts=True,
            batch_size=500,
        )
        touched = sorted({p for p, _, _ in visitors} & existing)
        cursor.executemany(
            f"UPDATE {stats} SET visitors = (SELECT COUNT(*) FROM "  # noqa: S608
            f"{DailyVisitor._meta.db_table} v WHERE v.page_id = %s) WHERE page_id = %s",
            [(p, p) for p in touched],
        )


def add_to_stats(cursor, column: str, rows: list[tuple[int, int]]) -> None:
    """Add n to one column of each page's totals, creating the row when it is missing."""
    assert column in {"reads", "likes"}
    stats = PageStats._meta.db_table
    cursor.executemany(
        f"INSERT INTO {stats} (page_id, visitors, reads, likes) VALUES (%s, 0, %s, %s) "  # noqa: S608
        f"ON CONFLICT (page_id) DO UPDATE SET {column} = {stats}.{column} + %s",
        [(p, n if column == "reads" else 0, n if column == "likes" else 0, n) for p, n in rows],
    )


class LocalCounter:
    """A per-process buffer flushed by a daemon thread and at interpreter exit."""

    def __init__(self, interval: float, background: bool = True) -> None:
        self.interval = interval
        self.background = background
        self._lock = threading.Lock()
        # Held for a whole flush, so a flush at exit waits for one already writing.
        self._flush_lock = threading.Lock()
        self._reads: Reads = Counter()
        self._visitors: Visitors = set()
        self._pid = 0
        self._wake = threading.Event()

    def record(self, page_id: int, reader: str, day: date) -> None:
        with self._lock:
            if self._pid != os.getpid():
                self._start()
            self._reads[(page_id, day)] += 1
            self._visitors.add((page_id, day, reader))

    def _start(self) -> None:
        # Also runs after a fork: the child starts with an empty buffer and its own thread.
        self._pid = os.getpid()
        self._reads = Counter()
        self._visitors = set()
        # Granian's workers are multiprocessing children, which leave through os._exit():
        # atexit hooks do not run there, multiprocessing's finalizers do.
        self._finalizer = multiprocessing.util.Finalize(None, self.flush, exitpriority=100)
        atexit.register(self.flush)
        if self.background:
            thread = threading.Thread(target=self._loop, name="weizhi-counter-flush", daemon=True)
            thread.start()

    def _loop(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self.flush()
            close_old_connections()

    def pending(self) -> int:
        with self._lock:
            return sum(self._reads.values())

    def discard(self) -> None:
        """Drop whatever is buffered and forget the exit hook (tests, reconfiguration)."""
        atexit.unregister(self.flush)
        finalizer = getattr(self, "_finalizer", None)
        if finalizer is not None:
            finalizer.cancel()
        with self._lock:
            self._reads, self._visitors = Counter(), set()

    def flush(self) -> None:
        # The flush lock covers the whole write: a flush at exit, or a test's, waits for
        # one the background thread has already started instead of finding it empty.
        with self._flush_lock:
            with self._lock:
                reads, visitors = self._reads, self._visitors
                self._reads, self._visitors = Counter(), set()
            if not reads and not visitors:
                return
            try:
                write_batch(reads, visitors)
            except Exception:
                log.exception("counter flush failed; %d reads kept", sum(reads.values()))
                with self._lock:
                    self._reads.update(reads)
                    self._visitors |= visitors


class RedisCounter:
    """A buffer in Redis shared by every web process; the scheduler flushes it."""

    READS = "weizhi:counter:reads"
    VISITORS = "weizhi:counter:visitors"

    def __init__(self, url: str) -> None:
        import redis

        self.redis = redis.Redis.from_url(url)

    def record(self, page_id: int, reader: str, day: date) -> None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.hincrby(self.READS, f"{page_id}:{day.isoformat()}", 1)
        pipe.sadd(self.VISITORS, f"{page_id}:{day.isoformat()}:{reader}")
        pipe.execute()

    def pending(self) -> int:
        return sum(int(v) for v in self.redis.hvals(self.READS))

    def flush(self) -> None:
        # Move the live keys aside first; a batch that fails to write stays aside and is
        # written on the next flush, before anything newer.
        reads_key, visitors_key = f"{self.READS}:flushing", f"{self.VISITORS}:flushing"
        for live, aside in ((self.READS, reads_key), (self.VISITORS, visitors_key)):
            if not self.redis.exists(aside) and self.redis.exists(live):
                self.redis.rename(live, aside)
        reads: Reads = Counter()
        for field, count in self.redis.hgetall(reads_key).items():
            page_id, day = field.decode().split(":")
            reads[(int(page_id), date.fromisoformat(day))] += int(count)
        visitors: Visitors = set()
        for member in self.redis.smembers(visitors_key):
            page_id, day, reader = member.decode().split(":", 2)
            visitors.add((int(page_id), date.fromisoformat(day), reader))
        write_batch(reads, visitors)
        self.redis.delete(reads_key, visitors_key)


_counter: LocalCounter | RedisCounter | None = None
_counter_lock = threading.Lock()


def get_counter() -> LocalCounter | RedisCounter:
    global _counter
    if _counter is None:
        # Web threads race on the first request; two counters would split the counts.
        with _counter_lock:
            if _counter is None:
                _counter = (
                    RedisCounter(settings.REDIS_URL)
                    if settings.REDIS_URL
                    else LocalCounter(
                        settings.COUNTER_FLUSH_SECONDS,
                        background=settings.COUNTER_BACKGROUND_FLUSH,
                    )
                )
    return _counter


def reset_counter() -> None:
    """Discard the process's counter and its pending counts; the next read makes a new one."""
    global _counter
    if isinstance(_counter, LocalCounter):
        _counter.discard()
    _counter = None
