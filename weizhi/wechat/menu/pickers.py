"""What a menu button can point at, picked from a list instead of typed: a built-in page,
a column, an article, an open survey, or a menu-click reply rule.

A pick is a string "view:<address>" or "click:<key>". Addresses are absolute and built from
SITE_URL when the list is made, as WeChat needs them; the view fills the button's type and
value from the pick, so what is saved is the same as if it had been typed.
"""

from django.conf import settings
from django.urls import reverse

from weizhi.content.models import ColumnPage, StoryPage
from weizhi.surveys.models import Survey
from weizhi.wechat.models import ReplyRule

ARTICLE_COUNT = 50
Group = tuple[str, list[tuple[str, str]]]


def built_in_pages() -> list[tuple[str, str]]:
    return [
        ("/", "首页"),
        (reverse("search"), "搜索文章"),
        ("/me/", "我的（党员之家）"),
        (reverse("quiz:home"), "每日答题"),
        (reverse("inbox:write"), "给我们留言"),
        (reverse("inbox:mine"), "我的留言"),
        (reverse("voices:submit"), "投稿"),
        (reverse("points:mine"), "我的积分"),
    ]


def _view(path: str) -> str:
    return "view:" + settings.SITE_URL + path


def choices() -> list[tuple[str, str] | Group]:
    """The picker's options, grouped; the first is the empty "type it yourself"."""
    pages = [(_view(path), label) for path, label in built_in_pages()]
    columns = [(_view(c.url), c.title) for c in ColumnPage.objects.live().order_by("path")]
    stories = StoryPage.objects.live().order_by("-first_published_at")[:ARTICLE_COUNT]
    articles = [(_view(s.url), s.title) for s in stories]
    surveys = Survey.objects.open_now().order_by("-pk")
    polls = [(_view(reverse("surveys:answer", args=[s.pk])), s.title) for s in surveys]
    rules = ReplyRule.objects.filter(enabled=True, trigger=ReplyRule.Trigger.CLICK)
    keys: dict[str, str] = {}
    for rule in rules.order_by("-priority", "id"):
        for key in rule.keyword_list():
            keys.setdefault(f"click:{key}", f"{rule.name}（{key}）")
    groups: list[Group] = [
        ("内置页面", pages),
        ("栏目", columns),
        ("文章（最近 50 篇）", articles),
        ("问卷", polls),
        ("自动回复（点击后回复）", list(keys.items())),
    ]
    return [("", "（自己填写）"), *[(name, items) for name, items in groups if items]]


def split(pick: str) -> tuple[str, str]:
    """A pick as the button's (type, value)."""
    kind, _, value = pick.partition(":")
    return kind, value


def pick_for(button_type: str, value: str, known: set[str]) -> str:
    """The pick that matches a saved button, so the editor shows it chosen."""
    pick = f"{button_type}:{value}"
    return pick if pick in known else ""
