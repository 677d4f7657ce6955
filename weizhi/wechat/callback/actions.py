"""Built-in actions a reply rule can call, and the news cards they answer with.

WeChat shows only one card when a follower sends a message (up to eight after an event such
as a menu click), so several results to a message become a text reply with one link each.
"""

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from wagtail.images import get_image_model

from weizhi.content.listing import CARD_RENDITION, with_covers
from weizhi.content.models import ColumnPage, StoryPage
from weizhi.weather import services as weather
from weizhi.wechat.protocol import (
    Article,
    Event,
    Message,
    NewsReply,
    Reply,
    TextReply,
    VoiceMessage,
)
from weizhi.wechat.protocol.replies import MAX_NEWS_ARTICLES
from weizhi.wechat.signin.links import login_link

from . import reading

LATEST_COUNT = 5
SEARCH_COUNT = 5
MAX_QUERY = 40


@dataclass(frozen=True)
class Later:
    """An action to finish in a task; its answer goes out as a customer-service message."""

    action: str
    query: str = ""
    column_id: int | None = None


@dataclass(frozen=True)
class ActionResult:
    reply: Reply | None
    later: Later | None = None


def absolute(url: str) -> str:
    return url if url.startswith(("http://", "https://")) else settings.SITE_URL + url


def story_card(story: StoryPage) -> Article:
    cover = story.cover.get_rendition(CARD_RENDITION).url if story.cover else ""
    return Article(
        title=story.title,
        description=story.summary,
        pic_url=absolute(cover) if cover else "",
        url=absolute(story.url),
    )


def cards_reply(cards: list[Article], message: Message) -> Reply:
    if isinstance(message, Event):
        return NewsReply(tuple(cards[:MAX_NEWS_ARTICLES]))
    if len(cards) == 1:
        return NewsReply((cards[0],))
    lines = [f'{n}. <a href="{c.url}">{c.title}</a>' for n, c in enumerate(cards, 1)]
    return TextReply("\n".join(lines))


def image_card(image_id: int | None, title: str) -> Reply | None:
    image = get_image_model().objects.filter(pk=image_id).first()
    if image is None:
        return None
    url = absolute(image.get_rendition("max-1080x1080").url)
    return NewsReply((Article(title=title, pic_url=url, url=url),))


def latest(column_id: int | None, message: Message) -> Reply:
    stories = StoryPage.objects.published()
    column = ColumnPage.objects.filter(pk=column_id).first() if column_id else None
    if column is not None:
        stories = stories.in_column(column)
    found = list(with_covers(stories.newest_first())[:LATEST_COUNT])
    if not found:
        return TextReply("这里还没有文章，过几天再来看看吧。")
    return cards_reply([story_card(s) for s in found], message)


def search(query: str, message: Message) -> Reply:
    found = list(StoryPage.objects.published().search(query)[:SEARCH_COUNT])
    if not found:
        return TextReply(f"没有找到与“{query}”有关的文章，换个词试试。")
    return cards_reply([story_card(s.specific) for s in found], message)


def bind(message: Message) -> Reply:
    link = login_link(message.from_user, next_path="/me/")
    return TextReply(
        f'<a href="{link}">点此登录并绑定您的党员信息</a>\n链接 10 分钟内有效，只能使用一次。'
    )


def quiz(message: Message) -> Reply:
    """Today's quiz, one tap away: the link signs the follower in on the member pages."""
    link = login_link(message.from_user, next_path=reverse("quiz:home"))
    return TextReply(f'<a href="{link}">点此进入今日答题</a>\n链接 10 分钟内有效，只能使用一次。')


def weather_now(city: str) -> Reply | None:
    """The weather answer when it costs no call to the provider: a forecast or a recent
    failure in the cache, or no provider configured. None: ask the provider in a task."""
    if not settings.WEATHER_PROVIDER:
        return TextReply(weather.weather_answer(city))
    held = weather.cached_forecast(city or settings.WEATHER_DEFAULT_CITY)
    return None if held is None else TextReply(weather.weather_answer(city))


def run(action: str, message: Message, *, query: str = "", column_id: int | None = None):
    if action == "latest":
        return ActionResult(latest(column_id, message))
    if action == "search":
        query = query.strip()[:MAX_QUERY]
        if not query:
            return ActionResult(TextReply("请在“搜索”后面加上要找的词，例如：搜索 党章"))
        # Cards may need new cover renditions, which is image work: answer now, send later.
        return ActionResult(
            TextReply(f"正在搜索“{query}”，结果稍后发给您。"), Later("search", query=query)
        )
    if action == "bind":
        return ActionResult(bind(message))
    if action == "quiz":
        return ActionResult(quiz(message))
    if action == "weather":
        # "天气" or "天气 城市名": the rule's pattern gives the city, or the whole text does.
        city = weather.city_in(query or getattr(message, "content", ""))
        now = weather_now(city)
        if now is not None:
            return ActionResult(now)
        # The provider may take seconds (3 s at most): answer now, send the forecast later.
        return ActionResult(TextReply("正在查询天气，稍后发给您。"), Later("weather", query=city))
    return ActionResult(None)


def finish(later: Later, message: Message) -> Reply:
    """The real answer of a deferred action, computed in a task."""
    if later.action == "search":
        return search(later.query, message)
    if later.action == "weather":
        return TextReply(weather.weather_answer(later.query))
    if later.action == "readaloud" and isinstance(message, VoiceMessage):
        return reading.finish(message)
    return latest(later.column_id, message)
