"""Reading and liking: the one door through which the reader site changes statistics."""

import hashlib

from django.db import connection, transaction
from django.http.cookie import parse_cookie
from django.utils import timezone
from django_tasks import task

from weizhi.analytics.counters import add_to_stats, get_counter
from weizhi.analytics.models import Like, PageStats
from weizhi.core.clientaddress import client_address

READER_COOKIE = "wz_r"


def reader_key(cookie: str | None, remote_addr: str, user_agent: str) -> str:
    """A stable anonymous id for a reader: their cookie, or one derived from address and agent."""
    if cookie and len(cookie) == 32 and all(c in "0123456789abcdef" for c in cookie):
        return cookie
    return hashlib.sha256(f"{remote_addr}|{user_agent[:300]}".encode()).hexdigest()[:32]


def reader_of(environ: dict) -> tuple[str | None, str]:
    """The reader cookie a request carries (if any) and the reader key it stands for."""
    cookie = parse_cookie(environ.get("HTTP_COOKIE", "")).get(READER_COOKIE)
    return cookie, reader_key(cookie, client_address(environ), environ.get("HTTP_USER_AGENT", ""))


def record_read(page_id: int, reader: str) -> None:
    get_counter().record(page_id, reader, timezone.localdate())


def stats_for(page_id: int) -> dict[str, int]:
    row = PageStats.objects.filter(page_id=page_id).values("reads", "visitors", "likes").first()
    return row or {"reads": 0, "visitors": 0, "likes": 0}


def like_page(page_id: int, reader: str) -> tuple[bool, int]:
    """Record one like per reader per page; returns (whether this call added it, total)."""
    with transaction.atomic():
        _like, added = Like.objects.get_or_create(page_id=page_id, reader=reader)
        if added:
            with connection.cursor() as cursor:
                add_to_stats(cursor, "likes", [(page_id, 1)])
    return added, stats_for(page_id)["likes"]


def has_liked(page_id: int, reader: str) -> bool:
    return Like.objects.filter(page_id=page_id, reader=reader).exists()


@task()
def flush_counters() -> int:
    counter = get_counter()
    pending = counter.pending()
    counter.flush()
    return pending
