"""An article's title, date, text and pictures from its page, by trafilatura, without Django.

trafilatura finds the main text and drops navigation, footers and ads; its XML output keeps
paragraphs, headings and pictures in their order, with picture addresses made absolute.
That XML is ours to read (trafilatura wrote it), so the standard parser is enough.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit
from xml.etree import ElementTree

DATELINE = re.compile(r"(来源[:：]|\d{4}[-年./]\d{1,2}[-月./]\d{1,2}.{0,12}(来源|作者|编辑|发布))")
MIN_TEXT = 40  # characters of body text, below which a page is not an article


class ExtractError(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class Block:
    kind: str  # "paragraph", "heading" or "image"
    text: str = ""  # the text, or an image's description
    src: str = ""  # an image's address


@dataclass(frozen=True)
class Extracted:
    url: str
    title: str
    sitename: str
    published: date | None
    blocks: list[Block] = field(default_factory=list)

    @property
    def images(self) -> list[str]:
        return [b.src for b in self.blocks if b.kind == "image"]

    @property
    def summary(self) -> str:
        first = next((b.text for b in self.blocks if b.kind == "paragraph"), "")
        return first if len(first) <= 120 else first[:119] + "…"


def extract(html: str, url: str) -> Extracted:
    import trafilatura  # ~31 MB: only in the process that reads news pages

    xml = trafilatura.extract(
        html,
        url=url,
        output_format="xml",
        include_images=True,
        include_comments=False,
        include_tables=False,
        with_metadata=True,
    )
    if not xml:
        raise ExtractError("没能从这个网页中找到正文", f"trafilatura found no text in {url}")
    doc = ElementTree.fromstring(xml)  # noqa: S314 (trafilatura's own output, no DTD)
    title = (doc.get("title") or "").strip()
    blocks: list[Block] = []
    main = doc.find("main")
    for element in main.iter() if main is not None else []:
        text = " ".join("".join(element.itertext()).split())
        if element.tag == "graphic":
            src = element.get("src", "")
            if urlsplit(src).scheme in ("http", "https"):
                blocks.append(Block("image", (element.get("alt") or "")[:200], src))
        elif element.tag == "head" and text and text != title:
            blocks.append(Block("heading", text))
        elif element.tag == "p" and text:
            blocks.append(Block("paragraph", text))
    blocks = _without_dateline(blocks)
    text_length = sum(len(b.text) for b in blocks if b.kind == "paragraph")
    if not title or text_length < MIN_TEXT:
        raise ExtractError("没能从这个网页中找到标题或正文", f"no title or text in {url}")
    return Extracted(
        url=url,
        title=title[:255],
        sitename=(doc.get("sitename") or urlsplit(url).hostname or "").strip(),
        published=_date(doc.get("date")),
        blocks=blocks,
    )


def _without_dateline(blocks: list[Block]) -> list[Block]:
    """News sites put "2026-11-28 09:30 来源：某某网" above the text; the repost has its own
    source fields, so such a line among the first blocks is dropped."""
    for index, block in enumerate(blocks[:3]):
        if block.kind == "paragraph" and len(block.text) <= 80 and DATELINE.search(block.text):
            return blocks[:index] + blocks[index + 1 :]
    return blocks


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "")[:10])
    except ValueError:
        return None
