"""A whole-page cache for the reader site that still counts every read.

Anonymous GET requests for published pages are answered from the cache. A page that
counts reads is counted here, before the cache is even looked at, so a cached page is
counted exactly like a fresh one. Purging bumps a generation shared by all processes
(a file's mtime in embedded mode, a cache key in Redis), which is cheap to check on every
request and makes publishing visible everywhere at once.
"""

import hashlib
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from weizhi.analytics.services import READER_COOKIE, reader_key, record_read

SKIP_PREFIXES = (
    "/admin",
    "/django-admin",
    "/static/",
    "/media/",
    "/api/",
    "/healthz",
    "/documents/",
)
GENERATION_KEY = "pagecache:generation"
READER_COOKIE_AGE = 365 * 24 * 3600


def _generation_file() -> Path:
    return Path(settings.VAR_DIR) / "pagecache.generation"


def generation() -> str:
    if settings.REDIS_URL:
        return str(cache.get_or_set(GENERATION_KEY, lambda: secrets.token_hex(4), None))
    try:
        return str(os.stat(_generation_file()).st_mtime_ns)
    except FileNotFoundError:
        return "0"


def purge() -> None:
    """Forget every cached page, in every process."""
    if settings.REDIS_URL:
        cache.set(GENERATION_KEY, secrets.token_hex(4), None)
        return
    path = _generation_file()
    path.touch()
    # Two purges within the file system's timestamp resolution must still differ.
    stamp = time.time_ns()
    os.utime(path, ns=(stamp, stamp))


def _cacheable_request(request: HttpRequest) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and settings.PAGE_CACHE_SECONDS > 0
        and not request.path.startswith(SKIP_PREFIXES)
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


class PageCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _cacheable_request(request):
            response, page_id = self._cached(request)
        else:
            response = self.get_response(request)
            page_id = getattr(response, "weizhi_count_page", None)
        if page_id is not None and request.method == "GET" and response.status_code == 200:
            self._count(request, response, page_id)
        return response

    def _cached(self, request: HttpRequest) -> tuple[HttpResponse, int | None]:
        path = hashlib.blake2b(request.get_full_path().encode(), digest_size=16).hexdigest()
        key = f"page:{generation()}:{path}"
        entry = cache.get(key)
        if entry is not None:
            content, content_type, page_id = entry
            response = HttpResponse(content, content_type=content_type)
            response["X-Page-Cache"] = "hit"
        else:
            response = self.get_response(request)
            page_id = getattr(response, "weizhi_count_page", None)
            if response.status_code == 200 and getattr(response, "weizhi_cacheable", False):
                cache.set(
                    key,
                    (response.content, response["Content-Type"], page_id),
                    settings.PAGE_CACHE_SECONDS,
                )
                response["X-Page-Cache"] = "miss"
        # Browsers and proxies must come back to us, so that every read is counted.
        response["Cache-Control"] = "no-cache"
        return response, page_id

    def _count(self, request: HttpRequest, response: HttpResponse, page_id: int) -> None:
        cookie = request.COOKIES.get(READER_COOKIE)
        reader = reader_key(
            cookie, request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_USER_AGENT", "")
        )
        record_read(page_id, reader)
        if cookie != reader:
            response.set_cookie(
                READER_COOKIE,
                reader,
                max_age=READER_COOKIE_AGE,
                httponly=True,
                samesite="Lax",
                secure=settings.SECURE,
            )
