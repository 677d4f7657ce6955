"""Party news: fetching the registered feeds, and reposting an article as a draft.

`refresh_feeds()` is the periodic job: each active feed is fetched with a conditional GET,
parsed, and its new items stored once (an item is known by its link, across feeds). A feed
that fails records why and is tried again at the next round; nothing it sends can stop the
other feeds. `repost(url, user)` reads a page, extracts the article, downloads its pictures
into Wagtail's image library and creates a draft 转载 in the 党建资讯 column, which then goes
through the normal three-step review.
"""

import hashlib
import io
import logging
import time
from dataclasses import dataclass
from datetime import date
from urllib.parse import urldefrag

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.images import ImageFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.html import escape
from PIL import Image as PILImage
from wagtail.images.models import Image

from weizhi.content.models import ColumnPage, HomePage, RepostPage
from weizhi.content.pagecache import purge
from weizhi.news.extract import Extracted, ExtractError, extract
from weizhi.news.feeds import Entry, FeedError, parse_feed
from weizhi.news.fetching import FetchError, fetch
from weizhi.news.models import Feed, FeedItem

log = logging.getLogger(__name__)

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"
PAGE_TYPES = {"text/html", "application/xhtml+xml", ""}
IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}
IMAGES_DEADLINE_SECONDS = 30


class RepostError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def item_key(link: str) -> str:
    return hashlib.sha256(urldefrag(link.strip())[0].encode()).hexdigest()


def store_entries(feed: Feed, entries: list[Entry]) -> int:
    """Stores the entries not seen before (from this feed or another); returns how many."""
    by_key = {}
    for entry in entries:
        by_key.setdefault(item_key(entry.link), entry)
    known = set(FeedItem.objects.filter(key__in=by_key).values_list("key", flat=True))
    new = [
        FeedItem(
            feed=feed,
            key=key,
            guid=entry.guid,
            title=entry.title,
            link=entry.link[:1000],
            summary=entry.summary,
            published_at=entry.published,
        )
        for key, entry in by_key.items()
        if key not in known
    ]
    # Two rounds at once (a slow job overtaken by the next) would both insert: the unique
    # key keeps one, and the other's rows are dropped.
    FeedItem.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def _record(feed: Feed, result: str, *, failed: bool, **fields) -> None:
    Feed.objects.filter(pk=feed.pk).update(
        checked_at=timezone.now(),
        last_result=result[:200],
        failures=F("failures") + 1 if failed else 0,
        **fields,
    )


def refresh_feed(feed: Feed) -> int:
    """Fetches one feed; returns the number of new items (0 on any failure, recorded)."""
    try:
        fetched = fetch(
            feed.url,
            max_bytes=settings.NEWS_FEED_MAX_BYTES,
            etag=feed.etag,
            last_modified=feed.last_modified,
            accept=FEED_ACCEPT,
        )
        if fetched.not_modified:
            _record(feed, "没有更新", failed=False)
            return 0
        _, entries = parse_feed(fetched.body, fetched.url)
    except (FetchError, FeedError) as error:
        log.warning("feed %s (%s) failed: %s", feed.pk, feed.url, error)
        _record(feed, f"失败：{error.reason}", failed=True)
        return 0
    new = store_entries(feed, entries)
    _record(
        feed,
        f"成功：读到 {len(entries)} 条，新增 {new} 条",
        failed=False,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
    )
    return new


def refresh_feeds() -> int:
    new = 0
    for feed in Feed.objects.active().order_by("pk"):
        try:
            new += refresh_feed(feed)
        except Exception:
            log.exception("feed %s (%s) broke the round", feed.pk, feed.url)
    if new:
        purge()  # the 党建资讯 column lists the items: its cached pages are stale
    return new


def news_column() -> ColumnPage | None:
    home = HomePage.objects.first()
    if home is None:
        return None
    return ColumnPage.objects.child_of(home).filter(slug=settings.NEWS_COLUMN_SLUG).first()


@dataclass(frozen=True)
class RepostResult:
    page: RepostPage
    created: bool
    images: int = 0
    images_skipped: int = 0


def repost(url: str, user, item: FeedItem | None = None) -> RepostResult:
    """A draft 转载 of the article at `url` in the news column, or the one made before."""
    column = news_column()
    if column is None:
        raise RepostError("没有找到“党建资讯”栏目，请先建立栏目")
    if not column.permissions_for_user(user).can_add_subpage():
        raise PermissionDenied
    earlier = RepostPage.objects.filter(source_url=url).first()
    if earlier is not None:
        _link_item(item, earlier)
        return RepostResult(earlier, created=False)
    try:
        fetched = fetch(url, max_bytes=settings.NEWS_PAGE_MAX_BYTES, accept="text/html")
        if fetched.content_type not in PAGE_TYPES:
            raise RepostError(f"这个网址不是网页（{fetched.content_type}），无法转载")
        extracted = extract(fetched.body, fetched.url)
    except (FetchError, ExtractError) as error:
        log.warning("repost of %s by %s failed: %s", url, user, error)
        raise RepostError(error.reason) from None
    body, images, skipped = _body(extracted)
    cover = next((b["value"]["image"] for b in body if b["type"] == "image"), None)
    summary = (item.summary if item and item.summary else "") or extracted.summary
    source_name = (item.feed.name if item else extracted.sitename) or "网络"
    published = item.published_at if item and item.published_at else None
    source_date = extracted.published or (
        timezone.localdate(published) if published else date.today()
    )
    with transaction.atomic():
        page = column.add_child(
            instance=RepostPage(
                title=extracted.title,
                slug=f"zhuanzai-{item_key(url)[:12]}",
                live=False,
                owner=user,
                summary=summary[:200],
                cover_id=cover,
                source_name=source_name[:50],
                source_url=url,
                source_date=source_date,
                body=body,
            )
        )
        page.save_revision(user=user, log_action=True)
        _link_item(item, page)
    log.info("repost %s of %s by %s: %d images, %d skipped", page.pk, url, user, images, skipped)
    return RepostResult(page, created=True, images=images, images_skipped=skipped)


def _link_item(item: FeedItem | None, page: RepostPage) -> None:
    if item is not None and item.repost_id != page.pk:
        FeedItem.objects.filter(pk=item.pk).update(repost=page)


def _body(extracted: Extracted) -> tuple[list[dict], int, int]:
    """StreamField blocks in the article's order; pictures that cannot be had are left out."""
    blocks, stored, skipped = [], 0, 0
    deadline = time.monotonic() + IMAGES_DEADLINE_SECONDS
    for block in extracted.blocks:
        if block.kind == "paragraph":
            blocks.append({"type": "paragraph", "value": f"<p>{escape(block.text)}</p>"})
        elif block.kind == "heading":
            blocks.append({"type": "paragraph", "value": f"<h3>{escape(block.text)}</h3>"})
        elif stored >= settings.NEWS_IMAGES_PER_REPOST or time.monotonic() > deadline:
            skipped += 1
        else:
            image = download_image(block.src, block.text or extracted.title)
            if image is None:
                skipped += 1
                continue
            stored += 1
            blocks.append({"type": "image", "value": {"image": image.pk, "caption": block.text}})
    return blocks, stored, skipped


def download_image(src: str, title: str) -> Image | None:
    """The picture at `src` in the image library, or None (logged) when it is not one we
    take: too large in bytes or pixels, not JPEG/PNG/GIF/WebP, or not readable."""
    try:
        fetched = fetch(src, max_bytes=settings.NEWS_IMAGE_MAX_BYTES, accept="image/*")
        with PILImage.open(io.BytesIO(fetched.body)) as picture:
            kind = picture.format or ""
            width, height = picture.size
            picture.verify()
    except FetchError as error:
        log.warning("repost image %s not fetched: %s", src, error)
        return None
    except Exception as error:  # Pillow raises many kinds for a file that is not a picture
        log.warning("repost image %s is not a picture: %r", src, error)
        return None
    if kind not in IMAGE_FORMATS:
        log.warning("repost image %s refused: format %r", src, kind)
        return None
    if width * height > settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS:
        log.warning("repost image %s refused: %dx%d pixels", src, width, height)
        return None
    name = f"zhuanzai-{item_key(src)[:12]}.{IMAGE_FORMATS[kind]}"
    return Image.objects.create(
        title=title[:255] or name, file=ImageFile(io.BytesIO(fetched.body), name=name)
    )
