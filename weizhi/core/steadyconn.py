"""Database connections kept in steady use by the hot paths that bypass Django's request
handling (the callback's fast path and its background writer).

Django checks a reused connection with a round trip (CONN_HEALTH_CHECKS) at the start of every
request; under a stream of WeChat messages that round trip fell inside the group commit's turn,
once per batch. Here it runs only for a connection idle for more than HEALTHY_FOR seconds. A
connection that dies while busy fails its query, which answers 503 (WeChat retries), and is
closed at the end of the work, as Django does.
"""

import contextlib
import time
from collections.abc import Iterator

from django.core import signals
from django.db import connections

# A connection used this recently is taken to be alive without asking the database.
HEALTHY_FOR = 10.0


def before_work() -> None:
    """Instead of Django's request_started: skip the health check of a connection in use."""
    now = time.monotonic()
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None:
            conn.health_check_done = now - getattr(conn, "weizhi_used_at", 0.0) < HEALTHY_FOR


def after_work(sender: object) -> None:
    """Django's end of a request: its receivers close a connection that failed or outlived
    CONN_MAX_AGE (and release caches)."""
    signals.request_finished.send(sender=sender)
    now = time.monotonic()
    for conn in connections.all(initialized_only=True):
        conn.weizhi_used_at = now


@contextlib.contextmanager
def working(sender: object) -> Iterator[None]:
    """`before_work()`, the work, then `after_work(sender)` whatever the work raised."""
    before_work()
    try:
        yield
    finally:
        after_work(sender=sender)
