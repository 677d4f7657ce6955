"""A fixed-window rate limit on public writes, kept in the shared cache."""

import functools
import time
from collections.abc import Callable

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse


def client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def hit(scope: str, who: str, limit: int, per_seconds: int) -> bool:
    """Count one attempt; True while the caller is still within the limit."""
    window = int(time.time() // per_seconds)
    key = f"ratelimit:{scope}:{who}:{window}"
    cache.add(key, 0, per_seconds + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, per_seconds + 1)
        count = 1
    return count <= limit


def rate_limited(scope: str, limit: int, per_seconds: int) -> Callable:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not hit(scope, client_address(request), limit, per_seconds):
                return JsonResponse({"error": "操作太频繁，请稍后再试。"}, status=429)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
