"""Requests through the production WSGI entry point (weizhi.wsgi.application), as granian
makes them, for the layers in front of Django (cached pages, the callback fast path)."""

import io

from django.core.signals import request_finished, request_started
from django.db import close_old_connections


def call(method: str, path: str, body: bytes = b"", **environ) -> tuple[str, dict, bytes]:
    """One request; its status line, headers and body. `path` is PATH_INFO, already decoded
    as WSGI carries it (the URL's bytes read as Latin-1)."""
    from weizhi.wsgi import application

    captured: dict = {}

    def start_response(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, dict(headers)

    base = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "localhost",
        "REMOTE_ADDR": "10.9.9.9",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
    }
    if body:
        base["CONTENT_LENGTH"] = str(len(body))
    # As Django's test client does: the test's open transaction must survive the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        answer = b"".join(application({**base, **environ}, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return captured["status"], captured["headers"], answer
