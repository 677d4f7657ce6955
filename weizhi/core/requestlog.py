"""One request log for every door into the application.

Three doors answer requests: the page cache's WSGI layer (cached reader pages), the callback's
WSGI fast path (WeChat's POSTs) and Django's middleware (everything else). Each starts a
`RequestLog` when a request arrives and finishes it once the status is known, so every answer
carries nginx's request id in its log lines and its X-Request-ID header, and every access line
has one shape and obeys one sampling rule.
"""

import concurrent.futures
import logging
import random
import re
import threading
import time
from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings

from weizhi.core.logging import logging_for, request_id_var

access_log = logging.getLogger("weizhi.access")

# nginx's $request_id is 32 hex digits; other proxies send UUIDs and the like. Anything else
# (too long, spaces, quotes, control characters) could forge or break log lines: replaced.
WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{1,64}")
PATH_LOGGED = 200


def request_id_from(incoming: str | None) -> str:
    """The proxy's request id when it is well formed, otherwise a fresh one."""
    if incoming and WELL_FORMED.fullmatch(incoming):
        return incoming
    # Ids only tie lines together; they need no secrecy, so no system call (os.urandom lets
    # go of the GIL, which a busy thread then waits to get back).
    return f"{random.getrandbits(64):016x}"


def wsgi_path(environ: dict) -> str:
    """The path and query of a WSGI request as Django's get_full_path() writes them."""
    path = environ.get("PATH_INFO", "")
    if not path.isascii():  # WSGI carries the URL's bytes read as Latin-1
        path = quote(path.encode("latin-1"), safe="/:@&+$,-_.!~*'()")
    query = environ.get("QUERY_STRING")
    return f"{path}?{query}" if query else path


def wants_line(status: int, ms: float) -> bool:
    """Errors and slow answers are always logged; the rest as ACCESS_LOG_SAMPLE says."""
    sample = settings.ACCESS_LOG_SAMPLE
    if sample >= 1.0 or status >= 400 or ms >= settings.ACCESS_LOG_SLOW_MS:
        return True
    return sample > 0.0 and random.random() < sample  # noqa: S311 - not a secret


class RequestLog:
    """One request: its id, set as the log context of this thread while it is handled, and
    its access line. Callers echo `rid` as the X-Request-ID header of their answer."""

    __slots__ = ("_token", "rid", "started")

    def __init__(self, incoming: str | None, started: float | None = None) -> None:
        self.started = time.perf_counter() if started is None else started
        self.rid = request_id_from(incoming)
        self._token = request_id_var.set(self.rid)

    def finish(
        self,
        method: str,
        path: str,
        status: int,
        *,
        user: Callable[[], str] | None = None,
        cache: str = "",
    ) -> None:
        """Writes the access line (unless sampled out) and ends the request's log context."""
        try:
            self._line(method, path, status, user, cache)
        finally:
            self.end()

    def finish_after(
        self,
        writes: list[concurrent.futures.Future],
        method: str,
        path: str,
        status: int,
        *,
        user: Callable[[], str] | None = None,
    ) -> None:
        """`finish` for an answer sent once `writes` are committed (``core/answerafter.py``):
        the log context ends now, and the line is written when the last write is done, with
        the time until then, and status 500 if a write failed (the answer the client gets)."""
        who = user() if user is not None and access_log.isEnabledFor(logging.INFO) else "-"
        left = [len(writes)]
        failed = [False]
        count = threading.Lock()

        def one_done(future: concurrent.futures.Future) -> None:
            with count:
                failed[0] = failed[0] or future.cancelled() or future.exception() is not None
                left[0] -= 1
                if left[0]:
                    return
            with logging_for(self.rid):
                self._line(method, path, 500 if failed[0] else status, lambda: who, "")

        try:
            for future in writes:
                future.add_done_callback(one_done)
        finally:
            self.end()

    def _line(
        self, method: str, path: str, status: int, user: Callable[[], str] | None, cache: str
    ) -> None:
        if not access_log.isEnabledFor(logging.INFO):
            return
        ms = (time.perf_counter() - self.started) * 1000
        if not wants_line(status, ms):
            return
        who = user() if user is not None else "-"
        fields = {
            "method": method,
            "path": path[:PATH_LOGGED],
            "status": status,
            "user": who,
            "ms": round(ms, 1),
        }
        if cache:
            fields["cache"] = cache
        access_log.info(
            "%s %s %s user=%s ms=%.1f%s",
            method,
            fields["path"],
            status,
            who,
            ms,
            f" cache={cache}" if cache else "",
            extra={"access": fields},
        )

    def end(self) -> None:
        """Ends the request's log context without an access line (another door writes it)."""
        request_id_var.reset(self._token)
