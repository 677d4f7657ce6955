"""Reading RSS 2.0, RSS 1.0 (RDF) and Atom feeds into plain entries, without Django.

XML is parsed by defusedxml, which refuses entity tricks (billion laughs, external
entities). A feed that is not well-formed (an unescaped & in a title is common) is read
again by lxml's recovering parser with entities and the network off; a feed that forbids
itself (DTD entities) or that nothing can read is a FeedError. Entries without a title or
an http(s) link are skipped.
"""

import html
import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element, ParseError
from zoneinfo import ZoneInfo

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from lxml import etree as lxml_etree

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_ENTRIES = 200
TAGS = re.compile(r"<[^>]*>")
BARE_AMPERSAND = re.compile(rb"&(?!#\d+;|#x[0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)")
ATOM = "{http://www.w3.org/2005/Atom}"
RSS1 = "{http://purl.org/rss/1.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"


class FeedError(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class Entry:
    guid: str
    title: str
    link: str
    summary: str
    published: datetime | None


def plain(text: str | None, limit: int) -> str:
    """Text of a title or summary: tags dropped, entities decoded, spaces collapsed."""
    text = html.unescape(TAGS.sub(" ", html.unescape(text or "")))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_date(text: str | None) -> datetime | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)


def _root(body: bytes) -> Element:
    try:
        return SafeET.fromstring(body)
    except DefusedXmlException as error:
        raise FeedError("订阅内容含有不安全的 XML 声明", f"refused: {error!r}") from None
    except ParseError as error:
        # The commonest fault first (a bare & in a title), then lxml's recovery, which keeps
        # what it can of the rest.
        fixed = BARE_AMPERSAND.sub(b"&amp;", body)
        try:
            return SafeET.fromstring(fixed)
        except (DefusedXmlException, ParseError):
            body = fixed
        parser = lxml_etree.XMLParser(
            recover=True, resolve_entities=False, no_network=True, huge_tree=False
        )
        try:
            recovered = lxml_etree.fromstring(body, parser=parser)
        except lxml_etree.XMLSyntaxError:
            recovered = None
        if recovered is None:
            raise FeedError("订阅内容不是有效的 RSS 或 Atom", f"not XML: {error}") from None
        # Back into the standard library's tree, so that one reader serves both.
        try:
            return SafeET.fromstring(lxml_etree.tostring(recovered))
        except (DefusedXmlException, ParseError) as again:
            raise FeedError("订阅内容不是有效的 RSS 或 Atom", f"not XML: {again}") from None


def _text(element: Element | None, *paths: str) -> str:
    if element is None:
        return ""
    for path in paths:
        found = element.find(path)
        if found is not None and (found.text or "").strip():
            return found.text.strip()
    return ""


def _link(base: str, href: str) -> str:
    if not href.strip():
        return ""
    link = urljoin(base, href.strip())
    return link if urlsplit(link).scheme in ("http", "https") else ""


def parse_feed(body: bytes, base_url: str) -> tuple[str, list[Entry]]:
    """(the feed's own title, its entries) of an RSS or Atom document."""
    root = _root(body)
    tag = root.tag.lower()
    if tag == f"{ATOM}feed".lower():
        return _text(root, f"{ATOM}title"), _atom(root, base_url)
    if tag.endswith("rss") or tag.endswith("rdf"):
        channel = root.find("channel")
        if channel is None:
            channel = root.find(f"{RSS1}channel")
        # iter(): a recovered tree may have nested an item inside the one before it.
        items = list(root.iter("item")) or list(root.iter(f"{RSS1}item"))
        title = _text(channel, "title", f"{RSS1}title")
        return title, _rss(items, base_url)
    raise FeedError("订阅内容不是有效的 RSS 或 Atom", f"root element {root.tag!r}")


def _rss(items: list[Element], base: str) -> list[Entry]:
    entries = []
    for item in items[:MAX_ENTRIES]:
        link = _link(base, _text(item, "link", f"{RSS1}link"))
        title = plain(_text(item, "title", f"{RSS1}title"), 300)
        if not (link and title):
            continue
        entries.append(
            Entry(
                guid=_text(item, "guid")[:500] or link,
                title=title,
                link=link,
                summary=plain(_text(item, "description", f"{RSS1}description"), 300),
                published=parse_date(_text(item, "pubDate", f"{DC}date")),
            )
        )
    return entries


def _atom(root: Element, base: str) -> list[Entry]:
    entries = []
    for entry in root.findall(f"{ATOM}entry")[:MAX_ENTRIES]:
        links = entry.findall(f"{ATOM}link")
        href = next(
            (a.get("href", "") for a in links if a.get("rel", "alternate") == "alternate"), ""
        )
        link = _link(base, href)
        title = plain(_text(entry, f"{ATOM}title"), 300)
        if not (link and title):
            continue
        entries.append(
            Entry(
                guid=_text(entry, f"{ATOM}id")[:500] or link,
                title=title,
                link=link,
                summary=plain(_text(entry, f"{ATOM}summary", f"{ATOM}content"), 300),
                published=parse_date(_text(entry, f"{ATOM}published", f"{ATOM}updated")),
            )
        )
    return entries
