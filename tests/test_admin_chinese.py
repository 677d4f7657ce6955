"""The admin speaks Chinese on every screen an office user reaches, and sends no request off
the machine.

A superuser walks every entry of the admin menu (and every sub-menu entry), the first
item's edit page of each listing, their own account page and the sign-in page; the text a
person sees there (text, placeholders, tooltips, labels read aloud, the menu's own labels)
must hold no English: neither a fragment known from Wagtail's untranslated strings nor any
other English word outside a short list of product names and codes.
"""

from __future__ import annotations

import gettext
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.test_audience_support import member, tree
from weizhi.audience.models import Follower
from weizhi.wechat.models import ReplyRule

# Fragments that were English on the admin's screens (issue 12), each a whole phrase.
KNOWN_ENGLISH = [
    " Pages",
    " Images",
    " Documents",
    "Search all pages",
    "editor guide",
    "There are no",
    "Why not add one",
    "Indented name",
    "By task",
    "By workflow",
    "Page types usage",
    "content.articlepage",
    "Saved",
    "Image focal point",
    "Theme preferences",
    "Admin theme",
    "More contrast",
    "Snug",
    "keyboard shortcuts",
    "Shortcuts",
    "True",
    "False",
    "Password",
    "Exploring",
    "Sort by",
    "Site name",
    "Root page",
    "Usage count",
    "Oldest",
    "Grid layout",
    "Actions",
    "Edit account avatar",
    "new items in this menu",
    "Required",
]
# Names an office knows in English, codes and units; a word not here and not Chinese fails.
ALLOWED_WORDS = {
    "WeChat",
    "OpenID",
    "AppID",
    "AppSecret",
    "Token",
    "EncodingAESKey",
    "URL",
    "README",
    "key",
    "xlsx",
    "Excel",
    "gh",
    "msg",
    "data",
    "id",
    "walker",  # the superuser's own username
    "localhost",
    "RSS",  # feed formats (党建资讯 → 资讯来源)
    "Atom",
}
# Still English, each for a reason outside a catalogue's reach; the list may only shrink.
# Django's permission names are stored in English ("Can add redirect"); Wagtail prints "None"
# for a page published by no one (aging pages) and in a hidden counter; the first page's log
# entry was written in English before the Chinese names migration (tests build it after).
STILL_ENGLISH = {
    "/admin/groups/edit/": {"*"},
    "*": {"None"},
}
USERNAME = "walker"
# Edit pages worth opening once: the first item of these listings.
EDIT_LINK = re.compile(r'href="(/admin/[a-z_/-]*?/(?:edit/)?\d+/)"')
PATH = re.compile(r"(?<![\w/])/[\w/.-]+/")
URL = re.compile(r"(?:https?:)?//[\w.-]+(?::\d+)?(?:/[^\s\"'<>)]*)?")


class VisibleText(HTMLParser):
    """What a person sees or hears: text outside scripts, and the attributes shown as text."""

    SHOWN_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt", "data-w-tooltip-content-value")

    def __init__(self) -> None:
        super().__init__()
        self.hidden = 0
        self.keys = 0  # inside <kbd>: key caps (Ctrl, Alt, K) are printed on keyboards
        self.parts: list[str] = []
        self.sidebar = False
        self.sidebar_json: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        values = dict(attrs)
        if tag in ("script", "style", "noscript"):
            self.hidden += 1
            self.sidebar = values.get("id") == "wagtail-sidebar-props"
        self.keys += tag == "kbd"
        self.parts += [values[a] for a in self.SHOWN_ATTRIBUTES if values.get(a)]
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(values["value"])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "noscript"):
            self.hidden -= 1
            self.sidebar = False
        self.keys -= tag == "kbd"

    def handle_data(self, data: str) -> None:
        if self.sidebar:
            self.sidebar_json.append(data)
        elif not self.hidden and not self.keys:
            self.parts.append(data)


def menu_entries(value) -> list[tuple[str, str | None]]:
    """Every (label, url) in the sidebar's props, sub-menus included."""
    found = []
    if isinstance(value, dict):
        if isinstance(value.get("label"), str):
            found.append((value["label"], value.get("url")))
        for v in value.values():
            found += menu_entries(v)
    elif isinstance(value, list):
        for v in value:
            found += menu_entries(v)
    return found


def visible_text(html: str) -> tuple[str, list[tuple[str, str | None]]]:
    parser = VisibleText()
    parser.feed(html)
    entries = menu_entries(json.loads("".join(parser.sidebar_json) or "null"))
    return "\n".join(parser.parts + [label for label, _ in entries]), entries


def english_in(text: str) -> list[str]:
    text = PATH.sub(" ", URL.sub(" ", text))
    text = re.sub(r"•+\w+", " ", text)  # the visible end of a masked secret
    found = [f for f in KNOWN_ENGLISH if f in text]
    for word in re.findall(r"[\w.@-]+", text, flags=re.ASCII):
        # Codes, numbers, file names and identifiers (D10001, LATEST_NEWS, a.jpg) are data.
        # Mixed case (QrMh in a masked key, EncodingAESKey) is a code or a product name too.
        english_shape = word.islower() or word.istitle()
        if len(word) < 2 or not word.isalpha() or not english_shape or word in ALLOWED_WORDS:
            continue
        found.append(word)
    return sorted(set(found))


def still_unexpected(url: str, words: list[str]) -> list[str]:
    known = STILL_ENGLISH["*"] | STILL_ENGLISH.get(url, set())
    if any(url.startswith(prefix) and "*" in allowed for prefix, allowed in STILL_ENGLISH.items()):
        return []
    return [w for w in words if w not in known]


def foreign_hosts(html: str) -> list[str]:
    html = re.sub(r'xmlns(?::\w+)?="[^"]*"', "", html)  # a namespace name, never fetched
    hosts = {
        urlsplit(u if ":" in u.split("//")[0] else "http:" + u).hostname for u in URL.findall(html)
    }
    return sorted(h for h in hosts if h and h not in ("testserver", "127.0.0.1", "localhost"))


@pytest.fixture
def walker(home, db):
    factories.article(title="抗洪抢险一线的党员突击队")
    factories.image(title="突击队旗")
    branches = tree()
    member(branches["first"], "W-001", name="王红梅")
    Follower.objects.create(openid="o-walk-1", remark="测试粉丝")
    ReplyRule.objects.create(name="关注欢迎语", trigger="subscribe", text="欢迎关注")
    user = get_user_model().objects.create_superuser(
        username=USERNAME, email="walker@example.org", password="p4ssw0rd-测试"
    )
    client = Client()
    client.force_login(user)
    return client


def walk(client: Client) -> dict[str, str]:
    """The admin's pages a superuser reaches from the menu, by URL, as HTML."""
    pages: dict[str, str] = {}
    home = client.get("/admin/").content.decode()
    pages["/admin/"] = home
    _, entries = visible_text(home)
    queue = [url for _, url in entries if url and url.startswith("/admin/")]
    queue += ["/admin/account/", reverse("wagtailusers_users:add")]
    while queue:
        url = queue.pop(0)
        if url in pages or "logout" in url:
            continue
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        pages[url] = html = response.content.decode()
        first_item = EDIT_LINK.search(html)
        if url.count("/") <= 4 and first_item and first_item[1] not in pages:
            queue.append(first_item[1])
    return pages


def test_every_admin_screen_from_the_menu_is_in_chinese(walker):
    pages = walk(walker)
    assert len(pages) > 30
    assert any("/edit/" in url for url in pages)
    assert "是" in visible_text(pages["/admin/users/"])[0]  # 有效, shown as 是 with a tick
    found = {
        url: still_unexpected(url, english_in(visible_text(html)[0])) for url, html in pages.items()
    }
    assert not any(found.values()), "\n".join(f"{u}: {w}" for u, w in found.items() if w)


def test_the_sign_in_page_is_in_chinese(home, db):
    html = Client().get("/admin/login/").content.decode()
    assert english_in(visible_text(html)[0]) == []
    assert "密码" in html


def test_no_admin_screen_loads_or_links_anything_from_another_host(walker):
    pages = walk(walker)
    pages["/admin/login/"] = Client().get("/admin/login/").content.decode()
    found = {url: foreign_hosts(html) for url, html in pages.items()}
    assert not any(found.values()), "\n".join(f"{u}: {h}" for u, h in found.items() if h)


def test_the_help_menu_leads_to_our_own_guide(walker):
    _, entries = visible_text(walker.get("/admin/").content.decode())
    guide = [url for label, url in entries if "指南" in label]
    assert guide == ["/admin/guide/"]
    html = walker.get("/admin/guide/").content.decode()
    for topic in ("初审", "复审", "终审", "发布", "党员名册"):
        assert topic in html
    assert english_in(visible_text(html)[0]) == []


def po_entries(path: Path) -> dict[str, str]:
    """msgid → (first) msgstr of a .po file whose entries are separated by blank lines."""
    entries, current, field = {}, {}, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        keyword, _, value = line.partition(" ")
        if keyword in ("msgid", "msgid_plural", "msgstr", "msgstr[0]"):
            field = keyword.split("[")[0]
            current[field] = json.loads(value)
        elif line.startswith('"') and field:
            current[field] += json.loads(line)
        elif not line.strip():
            if current.get("msgid"):
                entries[current["msgid"]] = current["msgstr"]
            current, field = {}, None
    return entries


def test_the_compiled_catalogue_holds_every_entry_of_the_po_file():
    folder = Path(settings.BASE_DIR) / "weizhi" / "locale" / "zh_Hans" / "LC_MESSAGES"
    with open(folder / "django.mo", "rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    entries = po_entries(folder / "django.po")
    assert len(entries) > 100
    stale = [msgid for msgid, text in entries.items() if compiled.gettext(msgid) != text]
    assert not stale, "run msgfmt -o django.mo django.po in " + str(folder)
