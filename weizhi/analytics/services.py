"""Reading and liking: the one door through which the reader site changes statistics."""

from dataclasses import dataclass

from django.db import connection, transaction
from django.http import HttpRequest
from django.http.cookie import parse_cookie
from django.utils import timezone

from weizhi.analytics import readers
from weizhi.analytics.counters import add_to_stats, get_counter
from weizhi.analytics.models import Like, PageStats
from weizhi.analytics.readers import READER_COOKIE
from weizhi.audience.identity import current_follower
from weizhi.core.taskqueue import task


@dataclass(frozen=True)
class Reader:
    """Who is reading. id is None until the browser shows a cookie we signed (or a WeChat
    sign-in): such a request counts as a read, not as a visitor, and cannot like. cookie is
    the value to set, when the browser needs a new one."""

    id: str | None
    cookie: str | None = None


def reader_of(environ: dict) -> Reader:
    """The reader a request's cookie stands for; a fresh cookie when it has no valid one."""
    reader = readers.verified(parse_cookie(environ.get("HTTP_COOKIE", "")).get(READER_COOKIE))
    if reader is not None:
        return Reader(reader)
    return Reader(None, readers.signed(readers.new_reader()))


def reader_of_request(request: HttpRequest) -> Reader:
    """As reader_of, but a follower signed in through WeChat is the reader of their openid,
    and their cookie is set to it, so the cache-hit path knows them after the session."""
    follower = current_follower(request) if hasattr(request, "session") else None
    if follower is None:
        return reader_of(request.META)
    reader = readers.follower_reader(follower.openid)
    shown = readers.verified(request.COOKIES.get(READER_COOKIE))
    return Reader(reader, None if shown == reader else readers.signed(reader))


def record_read(page_id: int, reader: str | None) -> None:
    get_counter().record(page_id, reader, timezone.localdate())


def record_visitor(page_id: int, reader: str) -> None:
    """A reader whose first read of the page carried no cookie shows it now (the story page
    asks for its live counts with it): they count as a visitor, without another read."""
    get_counter().record(page_id, reader, timezone.localdate(), reads=0)


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
