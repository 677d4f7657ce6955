"""A whole-page cache for the reader site that still counts every read.

Anonymous GET requests for published pages are answered from the cache, and a page that
counts reads is counted on every answer, cached or fresh. Two doors share this module:

- ``PageCacheMiddleware`` sits inside Django: it stores what a published page rendered to
  (body and headers) and counts the fresh render;
- ``CachedPageApp`` wraps the WSGI application: it answers a request whose page is already
  cached by replaying the stored body and headers and counting the read, without building a
  Django request at all. Everything else goes on to Django.

Purging bumps a generation shared by all processes (a file's mtime in embedded mode, a
cache key in Redis), which is cheap to check on every request and makes publishing visible
everywhere at once. The Host header is part of the key, so only hosts Django has accepted
(through ALLOWED_HOSTS) ever have entries.

A page is compressed once, when it is stored, and a reader whose browser accepts gzip gets
the compressed body from either door (cached pages carry no CSRF token or other secret, see
``weizhi.core.middleware.CompressionMiddleware``).
"""

import hashlib
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

from weizhi.analytics.readers import reader_cookie_header, set_reader_cookie
from weizhi.analytics.services import reader_of, reader_of_request, record_read
from weizhi.core.generation import Generation
from weizhi.core.middleware import accepts_gzip, gzipped
from weizhi.core.requestlog import RequestLog, wsgi_path

SKIP_PREFIXES = (
    "/admin",
    "/django-admin",
    "/static/",
    "/media/",
    "/api/",
    "/healthz",
    "/documents/",
)
# Headers that belong to one answer, not to the page.
NOT_REPLAYED = {
    "set-cookie",
    "x-request-id",
    "x-page-cache",
    "cache-control",
    "content-length",
    "content-encoding",
}

# body, headers, page id to count, the body gzipped (None when that is not smaller)
Entry = tuple[bytes, list[tuple[str, str]], int | None, bytes | None]

# Set in the environ by the WSGI layer when it looked the page up and missed: the key, so that
# Django's middleware neither works it out nor looks it up again.
# "page2:" since entries hold a compressed copy too: an upgrade never reads an old entry.
KEY_PREFIX = "page2:"
MISSED = "weizhi.page_cache_missed"


PAGES = Generation("pagecache")
generation = PAGES.current


def purge() -> None:
    """Forget every cached page, in every process."""
    PAGES.bump()


def cacheable(environ: dict) -> bool:
    """Whether a request may be answered from, and stored in, the page cache."""
    return (
        environ.get("REQUEST_METHOD") in ("GET", "HEAD")
        and settings.PAGE_CACHE_SECONDS > 0
        and not environ.get("PATH_INFO", "/").startswith(SKIP_PREFIXES)
        and settings.SESSION_COOKIE_NAME not in environ.get("HTTP_COOKIE", "")
    )


def cache_key(environ: dict) -> str:
    # The WSGI layer already worked it out for a request it passes on to Django.
    if MISSED in environ:
        return environ[MISSED]
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    where = f"{host}{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}"
    if "MicroMessenger" in environ.get("HTTP_USER_AGENT", ""):
        where += "#wechat"  # inside WeChat a story carries the share-card scripts
    digest = hashlib.blake2b(where.encode("utf-8", "surrogateescape"), digest_size=16)
    return f"{KEY_PREFIX}{generation()}:{digest.hexdigest()}"


def replay(entry: Entry, environ: dict) -> tuple[bytes, list[tuple[str, str]]]:
    """The body and headers of a cached answer, with this reader's read counted."""
    body, headers, page_id, packed = entry
    headers = [*headers, ("Cache-Control", "no-cache"), ("X-Page-Cache", "hit")]
    if packed is not None and accepts_gzip(environ):
        body = packed
        headers.append(("Content-Encoding", "gzip"))
    if page_id is not None and environ["REQUEST_METHOD"] == "GET":
        # A request with the session cookie never comes here: no follower to look for.
        reader = reader_of(environ)
        record_read(page_id, reader, environ)
        if reader.cookie:
            headers.append(("Set-Cookie", reader_cookie_header(reader.cookie, settings.SECURE)))
    return body, headers


class PageCacheMiddleware:
    """Stores fresh renders of published pages and counts the reads Django answers.

    It stands first in the middleware list, so the headers it stores are the ones every
    other middleware added; ``CachedPageApp`` answers most hits before they get here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not cacheable(request.META):
            response = self.get_response(request)
            self._count_fresh(request, response)
            return response
        key = cache_key(request.META)
        entry: Entry | None = None if MISSED in request.META else cache.get(key)
        if entry is not None:
            body, headers = replay(entry, request.META)
            response = HttpResponse(body)
            for name, value in headers:
                if name.lower() == "set-cookie":
                    response.cookies.load(value)
                else:
                    response[name] = value
            return response
        response = self.get_response(request)
        if response.status_code == 200 and getattr(response, "weizhi_cacheable", False):
            patch_vary_headers(response, ("Accept-Encoding",))
            headers = [(k, v) for k, v in response.items() if k.lower() not in NOT_REPLAYED]
            page_id = getattr(response, "weizhi_count_page", None)
            packed = gzipped(response.content)
            entry = (response.content, headers, page_id, packed)
            cache.set(key, entry, settings.PAGE_CACHE_SECONDS)
            response["X-Page-Cache"] = "miss"
            if packed is not None and accepts_gzip(request.META):
                response.content = packed
                response["Content-Length"] = str(len(packed))
                response["Content-Encoding"] = "gzip"
        # Browsers and proxies must come back to us, so that every read is counted.
        response["Cache-Control"] = "no-cache"
        self._count_fresh(request, response)
        return response

    def _count_fresh(self, request: HttpRequest, response: HttpResponse) -> None:
        page_id = getattr(response, "weizhi_count_page", None)
        if page_id is None or request.method != "GET" or response.status_code != 200:
            return
        reader = reader_of_request(request)
        record_read(page_id, reader, request.META)
        if reader.cookie:
            set_reader_cookie(response, reader.cookie)


class CachedPageApp:
    """WSGI layer that answers cache hits before Django builds a request.

    Entries are also kept in a small dict inside the process, so a hit costs no unpickling
    (and no Redis round trip in scaled mode beyond reading the generation).
    """

    LOCAL_ENTRIES = 256

    def __init__(self, app: Callable) -> None:
        self.app = app
        self.local: dict[str, tuple[float, Entry]] = {}

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if not cacheable(environ):
            return self.app(environ, start_response)
        started = time.perf_counter()
        key = cache_key(environ)
        entry = self._get(key, started)
        if entry is None:
            environ[MISSED] = key
            return self.app(environ, start_response)
        log = RequestLog(environ.get("HTTP_X_REQUEST_ID"), started)
        status = 500
        try:
            body, headers = replay(entry, environ)
            headers += [("Content-Length", str(len(body))), ("X-Request-ID", log.rid)]
            start_response("200 OK", headers)
            status = 200
        finally:
            log.finish(environ["REQUEST_METHOD"], wsgi_path(environ), status, cache="hit")
        return [b"" if environ["REQUEST_METHOD"] == "HEAD" else body]

    def _get(self, key: str, now: float) -> Entry | None:
        held = self.local.get(key)
        if held is not None and held[0] > now:
            return held[1]
        entry = cache.get(key)
        if entry is not None:
            if len(self.local) >= self.LOCAL_ENTRIES:
                self.local.clear()
            # Never keep it longer than the shared cache would.
            self.local[key] = (now + min(settings.PAGE_CACHE_SECONDS, 10), entry)
        return entry
