"""The last time a long-running process (the scheduler) showed it was alive, readable by
every process that answers /healthz.

Stored where generation.py keeps its counter, for the same reason: a key in Redis when scaled
(web processes and the scheduler may be on different machines, Redis is what they share), a
file's mtime under VAR_DIR in embedded mode (one machine; the default cache is per process,
and a write to SQLite every second would take the single writer's lock from the readers'
flushes for nothing). Neither needs a migration; a beat is one SET or one utime().
"""

import os
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache


def _path(name: str) -> Path:
    return Path(settings.VAR_DIR) / f"{name}.heartbeat"


def beat(name: str) -> None:
    """Record that `name` is alive now."""
    if settings.REDIS_URL:
        # Kept a day: long enough to report "silent for hours" rather than "never seen".
        cache.set(f"{name}:heartbeat", time.time(), 24 * 3600)
        return
    path = _path(name)
    try:
        os.utime(path)
    except FileNotFoundError:
        path.touch()


def last_beat(name: str) -> float | None:
    """Unix time of the last beat of `name`, or None if none was recorded."""
    if settings.REDIS_URL:
        value = cache.get(f"{name}:heartbeat")
        return float(value) if value is not None else None
    try:
        return os.stat(_path(name)).st_mtime
    except FileNotFoundError:
        return None
