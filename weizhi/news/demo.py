"""Two demo feeds of official-looking sources (marked 演示), with the articles they link to,
served by weizhi itself under /news/demo/, so that a fresh install has items in the 党建资讯
column and an editor can try 转载 without reaching the internet. The files are written for
this project."""

import hashlib
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_GET

from weizhi.news.feeds import parse_feed
from weizhi.news.models import Feed
from weizhi.news.services import store_entries

DEMO_DIR = Path(__file__).resolve().parent / "demo"
FEEDS = [("党建网（演示）", "dangjian.rss.xml"), ("职工之家（演示）", "zhigong.atom.xml")]
TYPES = {
    ".xml": "application/xml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".png": "image/png",
}
FILES = {
    str(path.relative_to(DEMO_DIR)): path
    for path in DEMO_DIR.rglob("*")
    if path.is_file() and path.suffix in TYPES
}
BASE_MARK = b"{BASE}"


def demo_base(site_url: str) -> str:
    return f"{site_url.rstrip('/')}/news/demo"


def render_file(name: str, base: str) -> bytes:
    return FILES[name].read_bytes().replace(BASE_MARK, base.encode())


@require_GET
def demo_file(request: HttpRequest, name: str) -> HttpResponse:
    if not settings.NEWS_DEMO_FEEDS or name not in FILES:
        raise Http404
    body = render_file(name, demo_base(request.build_absolute_uri("/")))
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified(headers={"ETag": etag})
    return HttpResponse(body, content_type=TYPES[FILES[name].suffix], headers={"ETag": etag})


def load_demo_news(site_url: str | None = None) -> tuple[int, int]:
    """The two demo feeds and their items (read from the files; the periodic job fetches
    them over HTTP later). Idempotent: returns (feeds created, items added)."""
    base = demo_base(site_url or settings.SITE_URL)
    created = added = 0
    for name, filename in FEEDS:
        feed, made = Feed.objects.get_or_create(url=f"{base}/{filename}", defaults={"name": name})
        created += made
        _, entries = parse_feed(render_file(filename, base), feed.url)
        added += store_entries(feed, entries)
    return created, added
