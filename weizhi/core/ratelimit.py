"""Fixed-window rate limits, counted where every web process sees the same count.

Scaled mode counts in Redis (INCR is atomic). Embedded mode has no Redis and runs several
granian processes, each with its own local-memory cache, so it counts in a table of the
database instead, with one INSERT … ON CONFLICT DO UPDATE … RETURNING, atomic in SQLite
and PostgreSQL alike. Each window is its own key, so a count never needs resetting, and
expired windows are pruned by a periodic job.
"""

import functools
import hashlib
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from weizhi.core.clientaddress import client_address
from weizhi.core.models import RateCounter

REDIS_PREFIX = "weizhi:ratelimit:"
_redis = None
_redis_lock = threading.Lock()


@dataclass(frozen=True)
class Window:
    """``limit`` attempts per ``seconds``, counted in windows aligned to the epoch."""

    limit: int
    seconds: int

    def key(self, scope: str, who: str, now: float) -> tuple[str, int]:
        """The counter's name and the Unix time its window ends."""
        number = int(now // self.seconds)
        name = f"{scope}:{who}:{self.seconds}:{number}"
        if len(name) > 255:
            name = f"{scope}:{hashlib.sha256(name.encode()).hexdigest()}"
        return name, (number + 1) * self.seconds


def add(counters: dict[str, int], delta: int = 1) -> dict[str, int]:
    """Add ``delta`` to each named counter (created with its expiry time); the new counts."""
    if not counters:
        return {}
    return _add_redis(counters, delta) if settings.REDIS_URL else _add_sql(counters, delta)


def _add_sql(counters: dict[str, int], delta: int) -> dict[str, int]:
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    rows = ", ".join(["(%s, %s, %s)"] * len(counters))
    params = [value for name, ends in counters.items() for value in (name, delta, ends)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (name, hits, expires) VALUES {rows} "  # noqa: S608
            f"ON CONFLICT (name) DO UPDATE SET hits = {table}.hits + excluded.hits "
            "RETURNING name, hits",
            params,
        )
        return dict(cursor.fetchall())


def _add_redis(counters: dict[str, int], delta: int) -> dict[str, int]:
    global _redis
    if _redis is None:
        with _redis_lock:
            if _redis is None:
                import redis

                _redis = redis.Redis.from_url(settings.REDIS_URL)
    now = time.time()
    # One MULTI: a key is never left without its expiry between the two commands.
    pipe = _redis.pipeline(transaction=True)
    for name, ends in counters.items():
        pipe.set(REDIS_PREFIX + name, 0, ex=max(1, math.ceil(ends - now)) + 1, nx=True)
        pipe.incrby(REDIS_PREFIX + name, delta)
    results = pipe.execute()
    return dict(zip(counters, results[1::2], strict=True))


def prune(now: float | None = None) -> int:
    """Delete the database counters of windows that are over (Redis expires its own)."""
    now = time.time() if now is None else now
    deleted, _ = RateCounter.objects.filter(expires__lt=now).delete()
    return deleted


# Windows this process has seen over their limit, with the time they end. A full window
# stays full (hit() never gives back), so a flood is refused from memory, not the database.
_full: dict[str, float] = {}
FULL_MAX = 10_000


def hit(scope: str, who: str, limit: int, per_seconds: int) -> bool:
    """Count one attempt; True while the caller is still within the limit."""
    now = time.time()
    name, ends = Window(limit, per_seconds).key(scope, who, now)
    if _full.get(name, 0) > now:
        return False
    if add({name: ends})[name] <= limit:
        return True
    if len(_full) >= FULL_MAX:
        forget_full()  # only a shortcut: forgetting costs a database write per request
    _full[name] = ends
    return False


def forget_full() -> None:
    _full.clear()


@dataclass(frozen=True)
class Rule:
    """Windows of one kind of attempt, keyed by who makes it: several windows of growing
    length make a back-off, a few quick tries, then minutes, then the rest of the day."""

    scope: str
    windows: Sequence[Window]


def attempt(rules: Sequence[tuple[Rule, str]], now: float | None = None) -> "Attempt":
    """Count one attempt under every (rule, who); refused ones are given back at once, so
    that waiting as told is enough and a refused attempt does not lengthen the wait."""
    now = time.time() if now is None else now
    counters, limits = {}, {}
    for rule, who in rules:
        for window in rule.windows:
            name, ends = window.key(rule.scope, who, now)
            counters[name], limits[name] = ends, window.limit
    counts = add(counters)
    over = [counters[name] - now for name, count in counts.items() if count > limits[name]]
    if over:
        add(counters, -1)
        return Attempt({}, wait=math.ceil(max(over)))
    return Attempt(counters, wait=0)


@dataclass(frozen=True)
class Attempt:
    counters: dict[str, int]
    wait: int  # seconds until the attempt may be made again; 0 when it was allowed

    @property
    def refused(self) -> bool:
        return self.wait > 0

    def succeeded(self) -> None:
        """Give the attempt back: only failures count towards a sign-in limit."""
        add(self.counters, -1)


# Failed sign-ins at one account from one address: five quick tries, ten in a quarter hour,
# twenty a day. Keyed by account and address together, so that strangers elsewhere cannot
# lock a member or an editor out of their own account.
SIGN_IN_BY_ACCOUNT = (Window(5, 60), Window(10, 15 * 60), Window(20, 24 * 3600))
# Failed sign-ins from one address across accounts (password spraying); loose, because a
# whole office may reach the site through one address.
SIGN_IN_BY_ADDRESS = (Window(50, 15 * 60), Window(200, 24 * 3600))


def sign_in_attempt(scope: str, account: str, address: str) -> Attempt:
    """Count a sign-in attempt; call ``succeeded()`` on it when the password was right."""
    account = account.strip().lower()[:150]
    return attempt(
        [
            (Rule(f"{scope}-account", SIGN_IN_BY_ACCOUNT), f"{account}|{address}"),
            (Rule(f"{scope}-address", SIGN_IN_BY_ADDRESS), address),
        ]
    )


def wait_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    if minutes >= 60:
        return f"尝试次数过多，请 {math.ceil(minutes / 60)} 小时后再试。"
    return f"尝试次数过多，请 {minutes} 分钟后再试。"


def rate_limited(scope: str, limit: int, per_seconds: int) -> Callable:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not hit(scope, client_address(request), limit, per_seconds):
                return JsonResponse({"error": "操作太频繁，请稍后再试。"}, status=429)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
