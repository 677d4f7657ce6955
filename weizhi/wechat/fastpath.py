"""The callback's POSTs, answered in the WSGI layer before Django's middleware stack.

A message from WeChat needs none of what the middleware does (sessions, CSRF, users,
messages, page cache, locale): its only credentials are its signature and encryption. The
benchmark measured the middleware and Django's request handling at about a third of the
CPU a message costs, so `weizhi.wsgi` sends these POSTs here; everything else, and the GET
check of the URL, goes on to Django and its view, which shares the same code below.
"""

import logging
import time
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl

from django.core import signals

from weizhi.core.logging import request_id_var

from .protocol.randomness import random_pool
from .views import Answer, answer_post, content_length

access_log = logging.getLogger("weizhi.access")

CALLBACK_PATH = "/wechat/callback/"
REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 413: "Payload Too Large"}


def _answer(environ: dict) -> Answer:
    params = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    length = content_length(environ.get("CONTENT_LENGTH"))
    stream = environ["wsgi.input"]
    return answer_post(params, length, lambda: stream.read(length or 0))


class CallbackApp:
    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != CALLBACK_PATH:
            return self.app(environ, start_response)
        started = time.perf_counter()
        token = request_id_var.set(random_pool.take(8).hex())
        # The signals Django's handler sends, so database connections are looked after the same way.
        signals.request_started.send(sender=self.__class__, environ=environ)
        try:
            answer = _answer(environ)
        finally:
            signals.request_finished.send(sender=self.__class__)
            request_id_var.reset(token)
        body = answer.body.encode()
        status = f"{answer.status} {REASONS.get(answer.status, 'Service Unavailable')}"
        start_response(
            status,
            [("Content-Type", answer.content_type), ("Content-Length", str(len(body)))],
        )
        if access_log.isEnabledFor(logging.INFO):
            elapsed = (time.perf_counter() - started) * 1000
            access_log.info("POST %s %s user=- ms=%.1f", CALLBACK_PATH, answer.status, elapsed)
        return [body]
