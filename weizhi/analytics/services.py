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
from weizhi.audience.identity import SESSION_FOLLOWER_KEY
from weizhi.audience.models import Follower
from weizhi.core.taskqueue import task


@dataclass(frozen=True)
class Reader:
    """Who is reading. id is None until the browser shows a cookie we signed (or a WeChat
    sign-in): such a request counts as a read, not as a visitor, and cannot like. cookie is
    the value to set, when the browser needs a new one."""

    id: str | None
    cookie: str | None = None
    # The branch of a signed-in member (their reads count for it), else None.
    branch: int | None = None


def reader_of(environ: dict) -> Reader:
    """The reader a request's cookie stands for; a fresh cookie when it has no valid one."""
    reader = readers.verified(parse_cookie(environ.get("HTTP_COOKIE", "")).get(READER_COOKIE))
    if reader is not None:
        return Reader(reader)
    return Reader(None, readers.signed(readers.new_reader()))


def reader_of_request(request: HttpRequest) -> Reader:
    """As reader_of, but a follower signed in through WeChat is the reader of their openid,
    and their cookie is set to it, so the cache-hit path knows them after the session."""
    follower_id = request.session.get(SESSION_FOLLOWER_KEY) if hasattr(request, "session") else None
    # The follower and their member's branch in the one query that finding the follower took.
    found = (
        Follower.objects.filter(pk=follower_id)
        .values_list("openid", "member__branch_id", "member__active")
        .first()
        if follower_id is not None
        else None
    )
    if found is None:
        return reader_of(request.META)
    openid, branch, active = found
    reader = readers.follower_reader(openid)
    shown = readers.verified(request.COOKIES.get(READER_COOKIE))
    cookie = None if shown == reader else readers.signed(reader)
    return Reader(reader, cookie, branch if active else None)


def in_wechat(environ: dict) -> bool:
    """Whether a request comes from WeChat's own browser (its user agent says MicroMessenger)."""
    return "MicroMessenger" in environ.get("HTTP_USER_AGENT", "")


def record_read(page_id: int, reader: Reader, environ: dict) -> None:
    """Count a read in the buffered counters, with where it was read (inside WeChat or not)
    and the reader's branch when a signed-in member reads: no database write here."""
    tags = ("w",) if in_wechat(environ) else ()
    if reader.branch is not None:
        tags += (f"b{reader.branch}",)
    get_counter().record(page_id, reader.id, timezone.localdate(), tags=tags)


def record_share(page_id: int) -> None:
    """Count a share of a page (a JS-SDK share callback), buffered like the reads."""
    get_counter().record(page_id, None, timezone.localdate(), reads=0, tags=("s",))


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
