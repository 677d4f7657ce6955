"""Read counters that never block a page and never lose a count.

A page view only adds to a buffer: in embedded mode a buffer inside the web process,
written to the database by a background thread every few seconds and once more when the
process exits; in scaled mode a Redis hash shared by all web processes, written to the
database by the scheduler. Each write is one short transaction of additive upserts, so
concurrent flushes from several processes never overwrite each other.

In embedded mode each read is also appended to the process's journal before it is answered
(weizhi/analytics/journal.py), so the reads of a web process killed before its flush are
written by whichever process next finds its journal: exactly once, as the journal's name is
recorded in the transaction that writes its counts. In scaled mode a flush claims the counts
in Redis as a batch with an id of its own, and the id is recorded the same way, so a batch is
written exactly once however many flushes run and whichever of them dies (RedisCounter).
"""

import atexit
import logging
import multiprocessing.util
import os
import secrets
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from wagtail.models import Page

from weizhi.analytics import journal
from weizhi.analytics.journal import JournalFile, Reads, Tallies, Visitors
from weizhi.analytics.models import (
    AppliedCounterBatch,
    AppliedJournal,
    DailyBranchReads,
    DailyPageStats,
    DailyPageSummary,
    DailyVisitor,
    PageStats,
)
from weizhi.audience.models import Branch

log = logging.getLogger(__name__)


class AlreadyApplied(Exception):
    """The batch's counts were written before (by a process that died before dropping it, or
    by another flusher of the same batch)."""


def write_batch(
    reads: Reads,
    visitors: Visitors,
    tallies: Tallies | None = None,
    journal_name: str | None = None,
    *,
    batch_id: str | None = None,
    still_claimed: Callable[[], bool] | None = None,
) -> None:
    """Add a batch of buffered reads to the database in one transaction.

    With journal_name (a read journal) or batch_id (a batch claimed in Redis), only if that
    name was not recorded before, and AlreadyApplied otherwise. still_claimed is asked once
    the batch id is recorded, in the transaction: False means another flusher wrote the batch
    and dropped it, and its record is forgotten since.
    """
    tallies = tallies or Counter()
    pages = {page_id for page_id, _ in reads} | {page_id for page_id, _, _ in visitors}
    pages |= {page_id for page_id, _, _ in tallies}
    if not pages:
        return
    existing = set(Page.objects.filter(pk__in=pages).values_list("pk", flat=True))
    totals: Counter = Counter()
    for (page_id, _day), count in reads.items():
        totals[page_id] += count
    days = daily_rows(reads, tallies, existing)
    by_branch = branch_rows(tallies, existing)
    stats = PageStats._meta.db_table
    daily = DailyPageStats._meta.db_table
    branch_reads = DailyBranchReads._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        # First, so that on PostgreSQL a second writer of the same batch waits here for the
        # first one's outcome (on SQLite, writers queue for the database at BEGIN).
        if journal_name is not None:
            record_once(cursor, AppliedJournal, journal_name)
        if batch_id is not None:
            record_once(cursor, AppliedCounterBatch, batch_id)
            if still_claimed is not None and not still_claimed():
                raise AlreadyApplied(batch_id)
        add_to_stats(cursor, "reads", [(p, n) for p, n in sorted(totals.items()) if p in existing])
        cursor.executemany(
            f"INSERT INTO {daily} (page_id, day, reads, wechat_reads, shares) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (page_id, day) DO UPDATE SET "
            f"reads = {daily}.reads + EXCLUDED.reads, "
            f"wechat_reads = {daily}.wechat_reads + EXCLUDED.wechat_reads, "
            f"shares = {daily}.shares + EXCLUDED.shares",
            days,
        )
        cursor.executemany(
            f"INSERT INTO {branch_reads} (page_id, day, branch_id, reads) "  # noqa: S608
            "VALUES (%s, %s, %s, %s) ON CONFLICT (page_id, day, branch_id) DO UPDATE SET "
            f"reads = {branch_reads}.reads + EXCLUDED.reads",
            by_branch,
        )
        DailyVisitor.objects.bulk_create(
            [DailyVisitor(page_id=p, day=d, reader=r) for p, d, r in visitors if p in existing],
            ignore_conflicts=True,
            batch_size=500,
        )
        touched = sorted({p for p, _, _ in visitors} & existing)
        # The days' visitors still held raw, and those of the days pruned since (kept in the
        # day summaries: a day is pruned only once rolled up), so the total does not shrink
        # when old raw rows go.
        raw, summary = DailyVisitor._meta.db_table, DailyPageSummary._meta.db_table
        cursor.executemany(
            f"UPDATE {stats} SET visitors = (SELECT COUNT(*) FROM {raw} v "  # noqa: S608
            "WHERE v.page_id = %s) + (SELECT COALESCE(SUM(s.visitors), 0) "
            f"FROM {summary} s WHERE s.page_id = %s AND s.day < "
            f"(SELECT MIN(m.day) FROM {raw} m WHERE m.page_id = %s)) WHERE page_id = %s",
            [(p, p, p, p) for p in touched],
        )


def daily_rows(reads: Reads, tallies: Tallies, pages: set[int]) -> list[tuple]:
    """(page, day, reads, reads inside WeChat, shares) of each existing page's day."""
    rows: dict[tuple[int, date], list[int]] = {}
    for (p, d), n in reads.items():
        rows.setdefault((p, d), [0, 0, 0])[0] += n
    for (p, d, tag), n in tallies.items():
        if tag in ("w", "s"):
            rows.setdefault((p, d), [0, 0, 0])[1 if tag == "w" else 2] += n
    return [(p, d, *counts) for (p, d), counts in sorted(rows.items()) if p in pages]


def branch_rows(tallies: Tallies, pages: set[int]) -> list[tuple]:
    """(page, day, branch, reads) of the reads by signed-in members, for existing branches
    (a branch removed since the read is dropped with its reads)."""
    counts = {(p, d, int(t[1:])): n for (p, d, t), n in tallies.items() if t.startswith("b")}
    if not counts:
        return []
    branches = set(
        Branch.objects.filter(pk__in={b for _, _, b in counts}).values_list("pk", flat=True)
    )
    return [(p, d, b, n) for (p, d, b), n in sorted(counts.items()) if p in pages and b in branches]


def record_once(cursor, model: type[AppliedJournal | AppliedCounterBatch], name: str) -> None:
    """Record that the batch called name is written; AlreadyApplied if it was before."""
    cursor.execute(
        f"INSERT INTO {model._meta.db_table} (name, applied_at) "  # noqa: S608
        "VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",
        [name, connection.ops.adapt_datetimefield_value(timezone.now())],
    )
    if cursor.rowcount == 0:
        raise AlreadyApplied(name)


def add_to_stats(cursor, column: str, rows: list[tuple[int, int]]) -> None:
    """Add n to one column of each page's totals, creating the row when it is missing."""
    assert column in {"reads", "likes"}
    stats = PageStats._meta.db_table
    cursor.executemany(
        f"INSERT INTO {stats} (page_id, visitors, reads, likes) VALUES (%s, 0, %s, %s) "  # noqa: S608
        f"ON CONFLICT (page_id) DO UPDATE SET {column} = {stats}.{column} + %s",
        [(p, n if column == "reads" else 0, n if column == "likes" else 0, n) for p, n in rows],
    )


@dataclass
class Batch:
    """Reads taken out of the buffer together, with the journal that holds the same reads."""

    reads: Reads
    visitors: Visitors
    journal: JournalFile | None
    tallies: Tallies = field(default_factory=Counter)


class LocalCounter:
    """A per-process buffer flushed by a daemon thread and at interpreter exit.

    With a journal directory, every read is also in the process's journal before record()
    returns; a flush swaps buffer and journal together, so each batch is exactly what its
    journal holds, and writes the batch under the journal's name before removing it.
    """

    def __init__(
        self, interval: float, background: bool = True, journal_dir: Path | None = None
    ) -> None:
        self.interval = interval
        self.background = background
        self.journal_dir = journal_dir
        self._lock = threading.Lock()
        # Held for a whole flush, so a flush at exit waits for one already writing.
        self._flush_lock = threading.Lock()
        self._reads: Reads = Counter()
        self._visitors: Visitors = set()
        self._tallies: Tallies = Counter()
        self._journal: JournalFile | None = None
        # Batches taken out but not written yet (a failed write is tried again, in order).
        self._waiting: list[Batch] = []
        self._journal_failed = False
        self._pid = 0
        self._wake = threading.Event()

    def record(
        self,
        page_id: int,
        reader: str | None,
        day: date,
        reads: int = 1,
        tags: tuple[str, ...] = (),
    ) -> None:
        """Count reads of a page (0 when only the visitor is news) and the reader, if known;
        each tag ("w" inside WeChat, "b<id>" a member's branch, "s" a share) once."""
        entry = journal.line(page_id, day, reads, reader, tags) if self.journal_dir else b""
        with self._lock:
            if self._pid != os.getpid():
                self._start()
            if entry:
                self._append(entry)
            if reads:
                self._reads[(page_id, day)] += reads
            if reader:
                self._visitors.add((page_id, day, reader))
            for tag in tags:
                self._tallies[(page_id, day, tag)] += 1

    def _append(self, entry: bytes) -> None:
        try:
            if self._journal is None:
                self._journal = JournalFile.create(self.journal_dir)
            self._journal.append(entry)
        except OSError:
            # The read is still counted in memory: only a crash before the flush loses it.
            if not self._journal_failed:
                log.exception("read journal write failed in %s", self.journal_dir)
            self._journal_failed = True
        else:
            self._journal_failed = False

    def _start(self) -> None:
        # Also runs after a fork: the child starts with an empty buffer and its own thread,
        # and leaves the parent's journals (and their locks) to the parent.
        for inherited in [self._journal, *(b.journal for b in self._waiting)]:
            if inherited is not None:
                inherited.close()
        self._pid = os.getpid()
        self._reads = Counter()
        self._visitors = set()
        self._tallies = Counter()
        self._journal = None
        self._waiting = []
        # Granian's workers are multiprocessing children, which leave through os._exit():
        # atexit hooks do not run there, multiprocessing's finalizers do.
        self._finalizer = multiprocessing.util.Finalize(
            None, self.flush, kwargs={"replay": False}, exitpriority=100
        )
        atexit.register(self.flush, replay=False)
        if self.background:
            thread = threading.Thread(target=self._loop, name="weizhi-counter-flush", daemon=True)
            thread.start()

    def _loop(self) -> None:
        while True:
            self.flush()
            close_old_connections()
            self._wake.wait(self.interval)

    def pending(self) -> int:
        with self._lock:
            waiting = sum(sum(b.reads.values()) for b in self._waiting)
            return sum(self._reads.values()) + waiting

    def waiting(self) -> tuple[int, float | None]:
        """Reads not written yet, and when the oldest came: those in the journals of every web
        process (they share the directory), or without journals this process's (time unknown)."""
        if self.journal_dir is None:
            return self.pending(), None
        return journal.waiting(self.journal_dir)

    def discard(self) -> None:
        """Drop whatever is buffered, journals included, and forget the exit hook (tests,
        reconfiguration)."""
        atexit.unregister(self.flush)
        finalizer = getattr(self, "_finalizer", None)
        if finalizer is not None:
            finalizer.cancel()
        with self._lock:
            for batch in [*self._waiting, Batch(self._reads, self._visitors, self._journal)]:
                if batch.journal is not None and self._pid == os.getpid():
                    batch.journal.remove()
            self._reads, self._visitors, self._journal, self._waiting = Counter(), set(), None, []
            self._tallies = Counter()

    def flush(self, replay: bool = True) -> None:
        """Write what is buffered; with replay, then the journals of processes that died."""
        # The flush lock covers the whole write: a flush at exit, or a test's, waits for
        # one the background thread has already started instead of finding it empty.
        with self._flush_lock:
            with self._lock:
                if self._reads or self._visitors or self._tallies or self._journal is not None:
                    self._waiting.append(
                        Batch(self._reads, self._visitors, self._journal, self._tallies)
                    )
                    self._reads, self._visitors, self._journal = Counter(), set(), None
                    self._tallies = Counter()
            while self._waiting:
                batch = self._waiting[0]
                try:
                    write_journal(batch.reads, batch.visitors, batch.journal, batch.tallies)
                except Exception:
                    pending = sum(sum(b.reads.values()) for b in self._waiting)
                    log.exception("counter flush failed; %d reads kept", pending)
                    return
                self._waiting.pop(0)
            if replay and self.journal_dir is not None:
                try:
                    replay_journals(self.journal_dir)
                except Exception:
                    log.exception("replaying read journals failed; the next flush tries again")


def write_journal(
    reads: Reads,
    visitors: Visitors,
    journal_file: JournalFile | None,
    tallies: Tallies | None = None,
) -> bool:
    """Write a batch once, then remove its journal; False when it had been written before."""
    name = journal_file.name if journal_file is not None else None
    try:
        write_batch(reads, visitors, tallies, name)
        written = True
    except AlreadyApplied:
        log.warning("read journal %s was written before; removing it", name)
        written = False
    if journal_file is not None:
        journal_file.remove()
    return written


def replay_journals(directory: Path) -> int:
    """Write the journals that web processes which died left behind; returns their reads."""
    replayed = 0
    for orphan in journal.orphans(directory):
        try:
            reads, visitors, tallies = orphan.counts()
            written = write_journal(reads, visitors, orphan, tallies)
        except Exception:
            log.exception("replaying read journal %s failed; it is kept", orphan.name)
            orphan.close()
            continue
        if written:
            replayed += sum(reads.values())
            log.warning("replayed read journal %s: %d reads", orphan.name, sum(reads.values()))
    if time.monotonic() - _forgotten_at > FORGET_EVERY_SECONDS:
        forget_removed_journals(directory)
    return replayed


# How often a process forgets the names of removed journals (a few hundred by then).
FORGET_EVERY_SECONDS = 600
_forgotten_at = float("-inf")


def forget_removed_journals(directory: Path) -> int:
    """Forget the recorded names of journals whose files are gone.

    A name is recorded while its file exists, and a removed file never comes back (names are
    never reused), so once the file is gone no replay can meet the name again.
    """
    global _forgotten_at
    _forgotten_at = time.monotonic()
    names = list(AppliedJournal.objects.values_list("name", flat=True))
    gone = [name for name in names if not (directory / name).exists()]
    for start in range(0, len(gone), 500):
        AppliedJournal.objects.filter(name__in=gone[start : start + 500]).delete()
    return len(gone)


# Moves each group of four source keys (reads, visitors, since, tallies) to its batch's keys and
# adds the batch's id to the set of claimed batches, in one step: a count is either still live or
# in exactly one batch. Returns the ids of the batches that got anything.
CLAIM = """
local claimed = {}
for g = 1, #ARGV do
  local moved = false
  for k = 1, 4 do
    local source, batch = KEYS[1 + (g - 1) * 8 + k], KEYS[1 + (g - 1) * 8 + 4 + k]
    if redis.call('EXISTS', source) == 1 then
      redis.call('RENAME', source, batch)
      moved = true
    end
  end
  if moved then
    redis.call('SADD', KEYS[1], ARGV[g])
    table.insert(claimed, ARGV[g])
  end
end
return claimed
"""


class RedisCounter:
    """A buffer in Redis shared by every web process, written to the database exactly once.

    A flush claims the live counts as a batch under a fresh id (one script renames them away,
    so the live keys start again empty), writes the batch in one transaction that records its
    id, and only then drops it. Every flush first finishes the batches already claimed: those
    of a flusher that died (before or after its write) and those another one is writing now.
    The recorded id makes a second write of a batch a no-op; PostgreSQL makes the second
    writer wait on it for the first one's outcome, SQLite serialises writers anyway.
    """

    READS = "weizhi:counter:reads"
    VISITORS = "weizhi:counter:visitors"
    # When the oldest live count was recorded; moves with the batch.
    SINCE = "weizhi:counter:since"
    # Reads inside WeChat, by branch, and shares: "page:day:tag" -> count (journal.Tallies).
    TALLIES = "weizhi:counter:tallies"
    # The ids of the batches claimed and not dropped yet.
    BATCHES = "weizhi:counter:batches"
    # Where versions before exactly-once flushes set a batch aside: adopted as a batch.
    LEGACY = (
        f"{READS}:flushing",
        f"{VISITORS}:flushing",
        f"{SINCE}:flushing",
        f"{TALLIES}:flushing",
    )

    def __init__(self, url: str) -> None:
        import redis

        self.redis = redis.Redis.from_url(url)
        self._claim = self.redis.register_script(CLAIM)
        self._forgotten_at = float("-inf")

    @staticmethod
    def batch_keys(batch_id: str) -> tuple[str, str, str, str]:
        parts = ("reads", "visitors", "since", "tallies")
        return tuple(f"weizhi:counter:batch:{batch_id}:{part}" for part in parts)

    def record(
        self,
        page_id: int,
        reader: str | None,
        day: date,
        reads: int = 1,
        tags: tuple[str, ...] = (),
    ) -> None:
        # MULTI, so that a claim takes a count and the time of the batch's first one together.
        pipe = self.redis.pipeline(transaction=True)
        if reads:
            pipe.hincrby(self.READS, f"{page_id}:{day.isoformat()}", reads)
        if reader:
            pipe.sadd(self.VISITORS, f"{page_id}:{day.isoformat()}:{reader}")
        for tag in tags:
            pipe.hincrby(self.TALLIES, f"{page_id}:{day.isoformat()}:{tag}", 1)
        pipe.set(self.SINCE, repr(time.time()), nx=True)
        pipe.execute()

    def pending(self) -> int:
        return self.waiting()[0]

    def waiting(self) -> tuple[int, float | None]:
        """Reads not in the database yet (live and in claimed batches), and the time the
        oldest of them was recorded (None when there are none)."""
        ids = sorted(m.decode() for m in self.redis.smembers(self.BATCHES))
        pipe = self.redis.pipeline(transaction=False)
        for reads_key, _visitors, since_key, _tallies in [
            (self.READS, self.VISITORS, self.SINCE, self.TALLIES),
            *map(self.batch_keys, ids),
        ]:
            pipe.hvals(reads_key)
            pipe.get(since_key)
        answers = pipe.execute()
        reads = sum(int(v) for counts in answers[0::2] for v in counts)
        times = [float(t) for t in answers[1::2] if t is not None]
        return reads, min(times, default=None)

    def flush(self) -> None:
        """Write every claimed batch, then claim the live counts and write them.

        A failed write raises and leaves its batch claimed; the next flush writes it before
        claiming anything new.
        """
        for batch_id in sorted(m.decode() for m in self.redis.smembers(self.BATCHES)):
            self.write(batch_id)
        for batch_id in self.claim():
            stop_here_in_tests("claimed")
            self.write(batch_id)
        if time.monotonic() - self._forgotten_at > FORGET_EVERY_SECONDS:
            self.forget_dropped_batches()

    def claim(self) -> list[str]:
        """Move the live counts (and any left by an older version) into batches of their own."""
        stamp = f"{time.time_ns() // 1000:x}"
        ids = [f"{stamp}-{secrets.token_hex(6)}" for _ in range(2)]
        keys = [
            *(self.READS, self.VISITORS, self.SINCE, self.TALLIES, *self.batch_keys(ids[0])),
            *(*self.LEGACY, *self.batch_keys(ids[1])),
        ]
        return [b.decode() for b in self._claim(keys=[self.BATCHES, *keys], args=ids)]

    def read_batch(self, batch_id: str) -> tuple[Reads, Visitors, Tallies]:
        """A claimed batch's counts (none once it is dropped)."""
        reads_key, visitors_key, _since, tallies_key = self.batch_keys(batch_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hgetall(reads_key)
        pipe.smembers(visitors_key)
        pipe.hgetall(tallies_key)
        fields, members, tagged = pipe.execute()
        reads: Reads = Counter()
        for name, count in fields.items():
            page_id, day = name.decode().split(":")
            reads[(int(page_id), date.fromisoformat(day))] += int(count)
        visitors: Visitors = set()
        for member in members:
            page_id, day, reader = member.decode().split(":", 2)
            visitors.add((int(page_id), date.fromisoformat(day), reader))
        tallies: Tallies = Counter()
        for field_name, count in tagged.items():
            page_id, day, tag = field_name.decode().split(":")
            tallies[(int(page_id), date.fromisoformat(day), tag)] += int(count)
        return reads, visitors, tallies

    def write(self, batch_id: str) -> bool:
        """Write a claimed batch once, then drop it; False when it had been written before."""
        reads, visitors, tallies = self.read_batch(batch_id)
        try:
            write_batch(
                reads,
                visitors,
                tallies,
                batch_id=batch_id,
                still_claimed=lambda: self.is_claimed(batch_id),
            )
        except AlreadyApplied:
            log.info("counter batch %s was written before; dropping it", batch_id)
            written = False
        else:
            written = True
            stop_here_in_tests("written")
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(*self.batch_keys(batch_id))
        pipe.srem(self.BATCHES, batch_id)
        pipe.execute()
        return written

    def is_claimed(self, batch_id: str) -> bool:
        stop_here_in_tests("recorded")
        return bool(self.redis.sismember(self.BATCHES, batch_id))

    def forget_dropped_batches(self) -> int:
        """Forget the recorded ids of batches no longer in Redis.

        The records are read before the set: a batch recorded by then was claimed by then, so
        if the set no longer holds it, it was dropped, and a dropped batch never comes back
        (ids are never reused).
        """
        self._forgotten_at = time.monotonic()
        names = list(AppliedCounterBatch.objects.values_list("name", flat=True))
        claimed = {m.decode() for m in self.redis.smembers(self.BATCHES)} if names else set()
        gone = [name for name in names if name not in claimed]
        for start in range(0, len(gone), 500):
            AppliedCounterBatch.objects.filter(name__in=gone[start : start + 500]).delete()
        return len(gone)


def stop_here_in_tests(point: str) -> None:
    """Tests SIGKILL a flusher at a known point: with WEIZHI_FLUSH_STOP_AT naming it, the
    process stops itself there (SIGSTOP) for the test to find. Unset, this does nothing."""
    if os.environ.get("WEIZHI_FLUSH_STOP_AT") == point:
        os.kill(os.getpid(), signal.SIGSTOP)


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
                        journal_dir=settings.READ_JOURNAL_DIR,
                    )
                )
    return _counter


def reset_counter() -> None:
    """Discard the process's counter and its pending counts; the next read makes a new one."""
    global _counter
    if isinstance(_counter, LocalCounter):
        _counter.discard()
    _counter = None
