"""The callback's POSTs, answered in the WSGI layer before Django's middleware stack.

A message from WeChat needs none of what the middleware does (sessions, CSRF, users,
messages, page cache, locale): its only credentials are its signature and encryption. The
benchmark measured the middleware and Django's request handling at about a third of the
CPU a message costs, so `weizhi.wsgi` sends these POSTs here; everything else, and the GET
check of the URL, goes on to Django and its view, which shares the same code below.
"""

import time
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl

from django.core import signals
from django.db import connections

from weizhi.core.requestlog import RequestLog

from .views import Answer, answer_post, content_length

CALLBACK_PATH = "/wechat/callback/"
REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 413: "Payload Too Large"}


def _answer(environ: dict) -> Answer:
    params = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    length = content_length(environ.get("CONTENT_LENGTH"))
    stream = environ["wsgi.input"]
    return answer_post(params, length, lambda: stream.read(length or 0))


# A connection used this recently is taken to be alive without asking the database.
HEALTHY_FOR = 10.0


def _before_message() -> None:
    """Instead of Django's request_started. Django checks a reused connection with a round trip
    (CONN_HEALTH_CHECKS) at the start of every request; under a stream of messages that round
    trip fell inside the group commit's turn, once per batch. Here it runs only for a connection
    idle for more than HEALTHY_FOR seconds. A connection that dies while busy fails its query,
    which answers 503 (WeChat retries) and is closed at the end of the request, as Django does."""
    now = time.monotonic()
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None:
            conn.health_check_done = now - getattr(conn, "weizhi_used_at", 0.0) < HEALTHY_FOR


def _after_message() -> None:
    """Django's end of a request: its receivers close a connection that failed or outlived
    CONN_MAX_AGE (and release caches)."""
    signals.request_finished.send(sender=CallbackApp)
    now = time.monotonic()
    for conn in connections.all(initialized_only=True):
        conn.weizhi_used_at = now


class CallbackApp:
    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != CALLBACK_PATH:
            return self.app(environ, start_response)
        log = RequestLog(environ.get("HTTP_X_REQUEST_ID"))
        status = 500
        try:
            _before_message()
            try:
                answer = _answer(environ)
            finally:
                _after_message()
            body = answer.body.encode()
            reason = REASONS.get(answer.status, "Service Unavailable")
            start_response(
                f"{answer.status} {reason}",
                [
                    ("Content-Type", answer.content_type),
                    ("Content-Length", str(len(body))),
                    ("X-Request-ID", log.rid),
                ],
            )
            status = answer.status
        finally:
            log.finish("POST", CALLBACK_PATH, status)
        return [body]
