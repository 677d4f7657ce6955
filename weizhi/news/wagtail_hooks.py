from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import path
from django.utils.safestring import SafeString
from wagtail import hooks

from weizhi.news import admin_views
from weizhi.news.models import FeedItem
from weizhi.news.viewsets import NewsGroup

COLUMN_ITEMS = 20


@hooks.register("register_admin_viewset")
def register_news_viewsets() -> NewsGroup:
    return NewsGroup()


@hooks.register("register_admin_urls")
def register_news_urls() -> list:
    return [
        path("news/items/", admin_views.items_view, name="news_items"),
        path("news/repost/", admin_views.repost_view, name="news_repost"),
        path("news/fetch/", admin_views.fetch_now_view, name="news_fetch_now"),
    ]


@hooks.register("insert_reader_column_html")
def feed_items_in_the_news_column(request: HttpRequest, page: object) -> SafeString:
    """The feeds' latest items under the 党建资讯 column's own stories. The column page is
    cached; a fetch that brings new items purges the page cache."""
    if getattr(page, "slug", None) != settings.NEWS_COLUMN_SLUG:
        return SafeString("")
    items = list(FeedItem.objects.listed().newest_first()[:COLUMN_ITEMS])
    if not items:
        return SafeString("")
    return render_to_string("news/column_items.html", {"items": items}, request=request)
