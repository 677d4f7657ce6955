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


# Reader and member pages run only our own scripts and styles, from /static/. WeChat's JS-SDK
# is served from there too; inside WeChat it reports to open.weixin.qq.com with an image, and
# the WeChat sign-in may follow a form's redirect to WeChat's authorize page.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: https://open.weixin.qq.com",
        "media-src 'self'",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self' https://open.weixin.qq.com",
        "frame-ancestors 'self'",
    ]
)
# Wagtail's admin runs inline scripts (and Django's admin some), so a policy there would need
# 'unsafe-inline', which protects nothing; those pages are staff-only behind a login.
CSP_EXEMPT_PREFIXES = ("/admin/", "/django-admin/")


class ContentSecurityPolicyMiddleware:
    """Adds the Content-Security-Policy to every answer outside the admin.

    It stands inside the page cache's middleware, so a stored page keeps the header and every
    cached answer replays it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path_info.startswith(CSP_EXEMPT_PREFIXES):
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response
