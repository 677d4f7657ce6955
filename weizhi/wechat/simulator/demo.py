"""Demo reply rules and custom menu, so that the simulator has something to answer with.
Idempotent: rules are found by name, and a menu someone edited is left alone."""

from datetime import time
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction

from weizhi.content.models import ColumnPage
from weizhi.wechat.menu.services import save_menu
from weizhi.wechat.models import CustomMenu, ReplyRule

WELCOME = (
    "欢迎关注！\n回复“最新”看最新文章，回复“搜索 关键词”查找文章，"
    "回复“绑定”登记您的党员信息。底部菜单有更多学习内容。"
)
LATEST = "latest"
RULES: list[dict] = [
    {"name": "关注欢迎语", "trigger": "subscribe", "text": WELCOME},
    {"name": "最新文章", "trigger": "keyword", "keywords": "最新\n最新文章", "action": "latest"},
    {
        "name": "搜索文章",
        "trigger": "keyword",
        "keywords": r"^搜索\s*(.*)$",
        "match": "regex",
        "action": "search",
    },
    {"name": "绑定党员信息", "trigger": "keyword", "keywords": "绑定", "action": "bind"},
    {
        "name": "天气预报",
        "trigger": "keyword",
        "keywords": r"^天气(?:预报)?\s*(.*)$",
        "match": "regex",
        "action": "weather",
    },
    {
        "name": "党费标准",
        "trigger": "keyword",
        "keywords": "党费",
        "match": "contains",
        "text": "党费按月缴纳，标准按照《关于中国共产党党费收缴、使用和管理的规定》执行，"
        "具体金额请咨询所在党支部。",
    },
    {"name": "菜单：今日头条", "trigger": "click", "keywords": "LATEST_TOUTIAO", "action": LATEST},
    {"name": "菜单：党建资讯", "trigger": "click", "keywords": "LATEST_DANGJIAN", "action": LATEST},
    {"name": "菜单：绑定", "trigger": "click", "keywords": "BIND", "action": "bind"},
    {"name": "今日答题", "trigger": "keyword", "keywords": "答题\n每日答题", "action": "quiz"},
    {"name": "菜单：每日答题", "trigger": "click", "keywords": "QUIZ", "action": "quiz"},
    {
        "name": "菜单：联系我们",
        "trigger": "click",
        "keywords": "CONTACT",
        "text": "党委办公室\n电话：010-00000000（工作日 8:30–17:30）\n也可以直接在这里留言。",
    },
    {
        "name": "非工作时间",
        "trigger": "default",
        "priority": 10,
        "active_from": time(18),
        "active_until": time(8, 30),
        "text": "现在是非工作时间，您的留言已记录，我们会在工作日尽快回复。",
    },
    {"name": "默认回复", "trigger": "default", "text": "您的留言已收到，我们会尽快回复。"},
]
COLUMN_OF_KEY = {"LATEST_TOUTIAO": "toutiao", "LATEST_DANGJIAN": "dangjian"}


def _column(slug: str) -> ColumnPage | None:
    return ColumnPage.objects.filter(slug=slug).first()


def _url(slug: str, site: str) -> str:
    column = _column(slug)
    return site + (column.url if column else "/")


def demo_menu(site: str = "") -> list[dict]:
    """The demo menu, its links on `site` (SITE_URL unless given)."""
    site = site or settings.SITE_URL
    return [
        {"name": "今日头条", "type": "click", "key": "LATEST_TOUTIAO"},
        {
            "name": "学习",
            "sub_button": [
                {"name": "党建资讯", "type": "click", "key": "LATEST_DANGJIAN"},
                {"name": "一图读懂", "type": "view", "url": _url("yitu", site)},
                {"name": "微视频", "type": "view", "url": _url("shipin", site)},
                {"name": "每日答题", "type": "click", "key": "QUIZ"},
            ],
        },
        {
            "name": "服务",
            "sub_button": [
                {"name": "绑定党员信息", "type": "click", "key": "BIND"},
                # Inside WeChat a member page signs the follower in through OAuth by itself.
                {"name": "我的", "type": "view", "url": site + "/me/"},
                {"name": "搜索文章", "type": "view", "url": site + "/search/"},
                {"name": "联系我们", "type": "click", "key": "CONTACT"},
            ],
        },
    ]


@transaction.atomic
def load_demo_wechat() -> int:
    """Create the demo rules that are missing and a menu if there is none; how many rules."""
    created = 0
    for spec in RULES:
        fields = dict(spec)
        action = fields.pop("action", "")
        if action:
            fields.update(reply_type="action", action=action)
            slug = COLUMN_OF_KEY.get(fields.get("keywords", ""))
            if slug:
                fields["action_column"] = _column(slug)
        _, made = ReplyRule.objects.get_or_create(name=fields.pop("name"), defaults=fields)
        created += made
    saved = CustomMenu.load().buttons
    # The demo's own menu follows SITE_URL, so that a demo started on another address or
    # port links to itself; a menu someone edited is left alone.
    if not saved or saved == demo_menu(_site_of(saved)):
        save_menu(demo_menu())
    return created


def _site_of(buttons: list[dict]) -> str:
    """The scheme and host of the first link of a menu ("" when it has none)."""
    for top in buttons:
        for button in [top, *top.get("sub_button", [])]:
            parts = urlsplit(button.get("url", ""))
            if parts.scheme and parts.netloc:
                return f"{parts.scheme}://{parts.netloc}"
    return ""
