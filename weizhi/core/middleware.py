import re
from collections.abc import Callable, Iterator

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.text import compress_string

from weizhi.core import answerafter
from weizhi.core.requestlog import RequestLog


class RequestLogMiddleware:
    """One log line per request: method, path, status, user and time taken.

    The request id comes from nginx's X-Request-ID when there is one, so a line can be
    followed from the proxy to the app; it is echoed back in the response. The WSGI layers
    in front of Django (cached pages, the callback) log through the same `RequestLog`.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        log = RequestLog(request.META.get("HTTP_X_REQUEST_ID"))
        status = 500
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = log.rid
            status = response.status_code
            return response
        finally:
            who = lambda: _username(request)  # noqa: E731
            writes = answerafter.waiting(request.META)
            if writes:  # answered once they are committed: the line then
                log.finish_after(
                    writes, request.method or "-", request.get_full_path(), status, user=who
                )
            else:
                log.finish(request.method or "-", request.get_full_path(), status, user=who)


def _username(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    return user.get_username() if user is not None and user.is_authenticated else "-"


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


# Text worth compressing; pictures, videos and documents are compressed already. XML is left
# out: it is what WeChat's servers get from the callback, small and answered against a clock.
COMPRESSIBLE_TYPES = (
    "text/html",
    "text/plain",
    "text/css",
    "text/javascript",
    "text/csv",
    "application/json",
    "application/javascript",
    "image/svg+xml",
)
COMPRESS_MIN_BYTES = 200
_ACCEPTS_GZIP = re.compile(r"\bgzip\b")


def accepts_gzip(meta: dict) -> bool:
    return bool(_ACCEPTS_GZIP.search(meta.get("HTTP_ACCEPT_ENCODING", "")))


def gzipped(body: bytes) -> bytes | None:
    """The body compressed, or None when compressing would not make it smaller."""
    if len(body) < COMPRESS_MIN_BYTES:
        return None
    packed = compress_string(body)
    return packed if len(packed) < len(body) else None


class CompressionMiddleware:
    """Gzips text answers for clients that accept it, except pages that carry a CSRF token.

    BREACH guesses a secret from how well a page compresses when it also reflects what the
    attacker sent. Reader pages carry no secret (the page cache shares them between readers),
    so they are compressed; a page that used the CSRF token (every form page, the whole admin)
    is sent as is. Django's own GZipMiddleware would compress those too, and every file
    download and video as it streams, which breaks range requests for nothing.

    It stands outside the page cache's middleware, which compresses a cached page once when it
    stores it (and sets Content-Encoding, so it is not compressed again here).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.streaming
            or response.has_header("Content-Encoding")
            or not response.get("Content-Type", "").startswith(COMPRESSIBLE_TYPES)
        ):
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        # Django's CSRF code puts this key in META (True, then False once the cookie is set)
        # exactly when the page asked for the token.
        if "CSRF_COOKIE_NEEDS_UPDATE" in request.META or not accepts_gzip(request.META):
            return response
        packed = gzipped(response.content)
        if packed is not None:
            response.content = packed
            response["Content-Length"] = str(len(packed))
            response["Content-Encoding"] = "gzip"
        return response


_RANGE = re.compile(r"^bytes=(\d{0,18})-(\d{0,18})$")  # longer numbers: no range
RANGE_CHUNK = 64 * 1024


def byte_range(header: str, size: int) -> tuple[int, int] | bool | None:
    """(first, last) of a single `bytes=` range; None when the header is not one we serve
    (the whole file is sent instead), False when the range lies outside the file."""
    match = _RANGE.match(header.strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":  # the last N bytes
        length = int(last)
        return (max(size - length, 0), size - 1) if length > 0 and size > 0 else False
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if last and int(last) < start:
        return None  # not a valid range (RFC 9110 14.1.1): the whole file
    if start >= size:
        return False
    return start, end


def _read_span(file, start: int, length: int) -> Iterator[bytes]:
    file.seek(start)
    while length > 0:
        chunk = file.read(min(RANGE_CHUNK, length))
        if not chunk:
            return
        length -= len(chunk)
        yield chunk


class RangeRequestMiddleware:
    """Answers a Range request for an uploaded file with 206 and just those bytes.

    Phones' video players (Safari's above all) ask for a video in pieces and refuse to play
    one served whole. Django's static view (uploaded media in embedded mode) and Wagtail's
    document view answer with a FileResponse that knows no ranges; static files already have
    them from WhiteNoise, and nginx serves media when scaled.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        file = getattr(response, "file_to_stream", None)
        size = response.get("Content-Length")
        if (
            not isinstance(response, FileResponse)
            or response.status_code != 200
            or file is None
            or not size
            or not getattr(file, "seekable", lambda: False)()
        ):
            return response
        response["Accept-Ranges"] = "bytes"
        if response.get("Content-Encoding") == "None":
            # Wagtail's document view writes the encoding it guessed, None, as the word.
            del response["Content-Encoding"]
        header = request.headers.get("Range")
        if request.method != "GET" or not header or not _still_same(request, response):
            return response
        span = byte_range(header, int(size))
        if span is None:
            return response
        if span is False:
            file.close()
            refused = HttpResponse(status=416)
            refused["Content-Range"] = f"bytes */{size}"
            return refused
        start, end = span
        response.status_code = 206
        response.streaming_content = _read_span(file, start, end - start + 1)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
        return response


def _still_same(request: HttpRequest, response: HttpResponse) -> bool:
    """If-Range: a range of a file that changed since the client's copy makes no sense."""
    validator = request.headers.get("If-Range")
    return validator is None or validator in (response.get("ETag"), response.get("Last-Modified"))
