import logging
import secrets
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from weizhi.core.logging import request_id_var

access_log = logging.getLogger("weizhi.access")


class RequestLogMiddleware:
    """One log line per request: method, path, status, user and time taken.

    The request id comes from nginx's X-Request-ID when there is one, so a line can be
    followed from the proxy to the app; it is echoed back in the response.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming[:64] if incoming.isascii() and incoming.isprintable() and incoming else ""
        rid = rid or secrets.token_hex(8)
        token = request_id_var.set(rid)
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = rid
            if access_log.isEnabledFor(logging.INFO):
                user = getattr(request, "user", None)
                who = user.get_username() if user is not None and user.is_authenticated else "-"
                access_log.info(
                    "%s %s %s user=%s ms=%.1f",
                    request.method,
                    request.get_full_path()[:200],
                    response.status_code,
                    who,
                    (time.perf_counter() - started) * 1000,
                )
            return response
        finally:
            request_id_var.reset(token)
