"""SQLite's WAL checkpoints, off the write path.

In WAL mode with synchronous=NORMAL, SQLite syncs to disk only when it checkpoints (the WAL
before copying it into the database, the database after), and by default the commit that
takes the WAL past 1,000 pages runs that checkpoint itself, inside its transaction's write
lock: every other writer waited behind the two syncs. Every process that opens the database
file instead runs a PASSIVE checkpoint from a thread of its own four times a second, which
copies and syncs while writers go on writing. bench-callback, embedded, paired runs: 3,338
and 3,561 messages/s before, 3,838–3,898 after, p99 34–35 ms. Checkpoints once a second gave
3,700 with p99 49–56 ms: a larger checkpoint's syncs stalled the writers.

SQLite starts the WAL file over only when a writer begins while every frame in it has been
copied, which under steady writes the thread's checkpoints never leave it: a commit still
checkpoints, as the reset, once the WAL passes settings' `PRAGMA wal_autocheckpoint` (4,000
pages, 16 MB), by then with little left to copy.

Durability is no weaker: a commit is in the WAL as before and reaches the disk with the next
checkpoint, now within a quarter of a second. A checkpoint with nothing new to copy does no I/O.
"""

import logging
import os
import threading
import time
from typing import Any

from django.db import connection, connections

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 0.25

_running_in: int | None = None  # the process whose thread runs: none is inherited by a fork
_start_lock = threading.Lock()


def on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    """A process that opens a SQLite database file keeps its WAL checkpointed from then on."""
    if connection.vendor == "sqlite" and not connection.is_in_memory_db():
        ensure_running()


def ensure_running() -> None:
    """Starts this process's checkpoint thread, once."""
    global _running_in
    if _running_in == os.getpid():
        return
    with _start_lock:
        if _running_in != os.getpid():
            threading.Thread(target=_run, name="wal-checkpoint", daemon=True).start()
            _running_in = os.getpid()


def checkpoint() -> tuple[int, int, int]:
    """One PASSIVE checkpoint on this thread's connection: (busy, WAL frames, frames copied),
    as SQLite reports them. It copies what no reader still needs and waits for nobody; when
    another checkpoint is running it reports busy instead of raising."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        return tuple(cursor.fetchone())


def _run() -> None:
    global _running_in
    try:
        while True:
            time.sleep(INTERVAL_SECONDS)
            if connections["default"].is_in_memory_db():  # the test database replaced it
                continue
            try:
                checkpoint()
            except Exception:
                log.warning("WAL checkpoint failed; trying again shortly", exc_info=True)
                try:
                    connection.close()
                except Exception:
                    log.warning("could not close the checkpoint's connection", exc_info=True)
                time.sleep(5)  # one warning per few seconds while the database is unwell
    finally:
        _running_in = None  # the next connection starts a new thread
