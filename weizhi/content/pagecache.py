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
"""

import hashlib
import logging
import secrets
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from weizhi.analytics.readers import reader_cookie_header, set_reader_cookie
from weizhi.analytics.services import reader_of, reader_of_request, record_read
from weizhi.core.generation import Generation
from weizhi.core.logging import request_id_var

access_log = logging.getLogger("weizhi.access")

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
NOT_REPLAYED = {"set-cookie", "x-request-id", "x-page-cache", "cache-control", "content-length"}

Entry = tuple[bytes, list[tuple[str, str]], int | None]  # body, headers, page id to count


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
    if "weizhi.page_cache_key" in environ:
        return environ["weizhi.page_cache_key"]
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    where = f"{host}{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}"
    if "MicroMessenger" in environ.get("HTTP_USER_AGENT", ""):
        where += "#wechat"  # inside WeChat a story carries the share-card scripts
    digest = hashlib.blake2b(where.encode("utf-8", "surrogateescape"), digest_size=16)
    return f"page:{generation()}:{digest.hexdigest()}"


def replay(entry: Entry, environ: dict) -> tuple[bytes, list[tuple[str, str]]]:
    """The body and headers of a cached answer, with this reader's read counted."""
    body, headers, page_id = entry
    headers = [*headers, ("Cache-Control", "no-cache"), ("X-Page-Cache", "hit")]
    if page_id is not None and environ["REQUEST_METHOD"] == "GET":
        # A request with the session cookie never comes here: no follower to look for.
        reader = reader_of(environ)
        record_read(page_id, reader.id)
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
        entry: Entry | None = cache.get(key)
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
            headers = [(k, v) for k, v in response.items() if k.lower() not in NOT_REPLAYED]
            page_id = getattr(response, "weizhi_count_page", None)
            cache.set(key, (response.content, headers, page_id), settings.PAGE_CACHE_SECONDS)
            response["X-Page-Cache"] = "miss"
        # Browsers and proxies must come back to us, so that every read is counted.
        response["Cache-Control"] = "no-cache"
        self._count_fresh(request, response)
        return response

    def _count_fresh(self, request: HttpRequest, response: HttpResponse) -> None:
        page_id = getattr(response, "weizhi_count_page", None)
        if page_id is None or request.method != "GET" or response.status_code != 200:
            return
        reader = reader_of_request(request)
        record_read(page_id, reader.id)
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
        key = environ["weizhi.page_cache_key"] = cache_key(environ)
        entry = self._get(key, started)
        if entry is None:
            return self.app(environ, start_response)
        body, headers = replay(entry, environ)
        rid = secrets.token_hex(8)
        headers += [("Content-Length", str(len(body))), ("X-Request-ID", rid)]
        start_response("200 OK", headers)
        if access_log.isEnabledFor(logging.INFO):
            token = request_id_var.set(rid)
            access_log.info(
                "%s %s 200 user=- ms=%.1f cache=hit",
                environ["REQUEST_METHOD"],
                environ.get("PATH_INFO", "")[:200],
                (time.perf_counter() - started) * 1000,
            )
            request_id_var.reset(token)
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
