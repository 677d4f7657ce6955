"""One writer at a time on an embedded (SQLite) database, woken at once when it is its turn.

SQLite lets one transaction write at a time; a writer that finds the lock taken sleeps in
SQLite's busy handler for 1, 2, 5 … up to 100 ms between tries, however soon the lock frees.
Under a burst of WeChat messages that sleeping, not the writing, was most of the time. Hot
write paths take this queue first: a thread lock within the process and an flock() on a file
across processes, both of which wake the next waiter as soon as the lock is released. On
PostgreSQL it does nothing; rows lock there, not the database.
"""

import contextlib
import fcntl
import functools
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection

_thread_lock = threading.Lock()


@functools.cache
def _lock_fd(var_dir: str) -> int:
    Path(var_dir).mkdir(parents=True, exist_ok=True)
    return os.open(Path(var_dir) / "sqlite-write.lock", os.O_RDWR | os.O_CREAT, 0o600)


@contextlib.contextmanager
def write_turn() -> Iterator[None]:
    if connection.vendor != "sqlite":
        yield
        return
    fd = _lock_fd(str(settings.VAR_DIR))
    with _thread_lock:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
