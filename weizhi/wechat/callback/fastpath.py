"""The callback's POSTs, answered before Django's middleware stack.

A message from WeChat needs none of what the middleware does (sessions, CSRF, users,
messages, page cache, locale): its only credentials are its signature and encryption. The
benchmark measured the middleware and Django's request handling at about a third of the
CPU a message costs, so these POSTs come here; everything else, and the GET check of the
URL, goes on to Django and its view, which shares the same code (views.py).

Two doors, one answer:

- `CallbackApp`, a WSGI layer (weizhi.wsgi): authenticates, stores and answers on the
  request's thread, which waits for its batch's commit;
- `answer_on_loop`, for granian's RSGI interface (weizhi.rsgi, what `manage.py serve`
  runs): authenticates and routes on a web thread, then hands the message to the process's
  writer thread and lets go of the web thread; the coroutine answers once the writer has
  committed it. A message waiting for its commit holds no thread, so the web threads go on
  with the next messages while the writer stores every message in flight in one batch.
"""

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from weizhi.core import loopmail, steadyconn
from weizhi.core.logging import logging_for
from weizhi.core.requestlog import RequestLog

from . import storage
from .views import Answer, Received, answer_post, content_length, receive_post

CALLBACK_PATH = "/wechat/callback/"
REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 413: "Payload Too Large"}


def _request(environ: dict) -> tuple[dict[str, str], int | None, Callable[[], bytes]]:
    """The query's parameters, the declared length and a reader of the body."""
    params = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    length = content_length(environ.get("CONTENT_LENGTH"))
    stream = environ["wsgi.input"]
    return params, length, lambda: stream.read(length or 0)


def _received(environ: dict, rid: str) -> Answer | Received:
    """On a web thread, in the request's log context (which its delivery carries on to the
    writer thread)."""
    with logging_for(rid), steadyconn.working(sender=CallbackApp):
        return receive_post(*_request(environ))


def _headers(answer: Answer, body: bytes, rid: str) -> list[tuple[str, str]]:
    return [
        ("Content-Type", answer.content_type),
        ("Content-Length", str(len(body))),
        ("X-Request-ID", rid),
    ]


def is_callback(environ: dict) -> bool:
    return environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO") == CALLBACK_PATH


class CallbackApp:
    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if not is_callback(environ):
            return self.app(environ, start_response)
        log = RequestLog(environ.get("HTTP_X_REQUEST_ID"))
        status = 500
        try:
            with steadyconn.working(sender=CallbackApp):
                answer = answer_post(*_request(environ))
            body = answer.body.encode()
            reason = REASONS.get(answer.status, "Service Unavailable")
            start_response(f"{answer.status} {reason}", _headers(answer, body, log.rid))
            status = answer.status
        finally:
            log.finish("POST", CALLBACK_PATH, status)
        return [body]


RunOnThread = Callable[..., Awaitable[Any]]


async def answer_on_loop(environ: dict, run: RunOnThread) -> tuple[int, list, bytes]:
    """The callback under RSGI: (status, headers, body). `run(call, *args)` runs a call on
    one of the web threads and gives its result."""
    log = RequestLog(environ.get("HTTP_X_REQUEST_ID"))
    status = 500
    try:
        answer = await run(_received, environ, log.rid)
        if isinstance(answer, Received):
            loop = asyncio.get_running_loop()
            stored = loop.create_future()
            storage.store_soon(
                answer.delivery,
                lambda error: loopmail.post(loop, _settle, stored, error),
            )
            answer = answer.answer(await stored)
        body = answer.body.encode()
        status = answer.status
        return answer.status, _headers(answer, body, log.rid), body
    finally:
        log.finish("POST", CALLBACK_PATH, status)


def _settle(future: asyncio.Future, error: BaseException | None) -> None:
    if not future.cancelled():
        future.set_result(error)
