"""A story page as the HTML WeChat's draft/add accepts.

WeChat strips scripts, iframes, classes and style sheets, drops images not uploaded through
media/uploadimg and links outside mp.weixin.qq.com, but keeps inline styles. So we emit plain
tags with inline styles, upload every image and rewrite its URL, and keep a link's text only.
"""

from collections.abc import Callable
from html import escape
from html.parser import HTMLParser
from urllib.parse import urlparse

from django.conf import settings
from wagtail.images.models import AbstractImage
from wagtail.rich_text import expand_db_html

# Given an image's filename and bytes, upload it and return the URL WeChat gave it.
Upload = Callable[[str, bytes], str]

IMAGE_SPEC = "max-1080x4000|format-jpeg|jpegquality-80"  # uploadimg takes jpg/png under 1 MB
KEEP = {
    "p", "br", "strong", "b", "em", "i", "u", "h2", "h3", "h4", "ul", "ol", "li",
    "blockquote", "hr", "span", "section", "figure", "figcaption", "img", "sup", "sub",
    "table", "thead", "tbody", "tr", "td", "th",
}  # fmt: skip
DROP_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template",
                     "form", "video", "audio", "svg", "canvas"}  # fmt: skip
VOID = {"br", "hr", "img"}
STYLE = {
    "p": "margin:0 0 1em;line-height:1.75;font-size:16px;",
    "h2": "margin:1.2em 0 .6em;font-size:18px;font-weight:bold;",
    "h3": "margin:1em 0 .5em;font-size:17px;font-weight:bold;",
    "blockquote": "margin:1em 0;padding:.5em 1em;border-left:3px solid #b71c1c;color:#555;",
    "img": "display:block;max-width:100%;height:auto;margin:0 auto;",
    "figcaption": "margin:.3em 0 1em;text-align:center;color:#888;font-size:14px;",
    "section": "margin:1em 0;padding:.8em 1em;background:#fdf3f3;border-left:3px solid #b71c1c;",
    "note": "margin:1em 0;color:#888;font-size:14px;text-align:center;",
}
WECHAT_HOSTS = ("mp.weixin.qq.com",)


class _Cleaner(HTMLParser):
    def __init__(self, image_src: Callable[[str], str | None]) -> None:
        super().__init__(convert_charrefs=False)
        self.image_src = image_src
        self.out: list[str] = []
        self.dropping = 0
        self.open_links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROP_WITH_CONTENT:
            self.dropping += tag not in VOID
            return
        if self.dropping:
            return
        if tag == "a":
            self._open_link(dict(attrs).get("href") or "")
        elif tag == "img":
            self._image(dict(attrs))
        elif tag in KEEP:
            style = STYLE.get(tag)
            self.out.append(f'<{tag} style="{style}">' if style else f"<{tag}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in DROP_WITH_CONTENT:
            self.dropping = max(0, self.dropping - 1)
        elif self.dropping or tag in VOID:
            return
        elif tag == "a":
            self.out.append(self.open_links.pop() if self.open_links else "")
        elif tag in KEEP:
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.out.append(escape(data, quote=False))

    def handle_entityref(self, name: str) -> None:
        if not self.dropping:
            self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        if not self.dropping:
            self.out.append(f"&#{name};")

    def _open_link(self, href: str) -> None:
        # WeChat removes links to other sites; keep their words, drop the link.
        if urlparse(href).hostname in WECHAT_HOSTS:
            self.out.append(f'<a href="{escape(href)}">')
            self.open_links.append("</a>")
        else:
            self.open_links.append("")

    def _image(self, attrs: dict[str, str | None]) -> None:
        src = self.image_src(attrs.get("src") or "")
        if src:
            alt = escape(attrs.get("alt") or "")
            self.out.append(f'<img src="{escape(src)}" alt="{alt}" style="{STYLE["img"]}">')


def clean_html(html: str, image_src: Callable[[str], str | None]) -> str:
    """Keep the tags WeChat shows, with inline styles; image_src maps (or drops) each src."""
    cleaner = _Cleaner(image_src)
    cleaner.feed(html)
    cleaner.close()
    return "".join(cleaner.out)


class ArticleRenderer:
    """Renders one page's body, uploading each image once."""

    def __init__(self, upload: Upload) -> None:
        self.upload = upload

    def image(self, image: AbstractImage | None, caption: str = "") -> str:
        if image is None:
            return ""
        rendition = image.get_rendition(IMAGE_SPEC)
        with rendition.file.open("rb") as handle:
            url = self.upload(rendition.file.name.rsplit("/", 1)[-1], handle.read())
        html = f'<img src="{escape(url)}" alt="{escape(image.title)}" style="{STYLE["img"]}">'
        if caption:
            html += f'<figcaption style="{STYLE["figcaption"]}">{escape(caption)}</figcaption>'
        return f"<figure>{html}</figure>"

    def media_src(self, src: str) -> str | None:
        """An <img> inside rich text: upload our own media files, drop anything else."""
        if not src.startswith(settings.MEDIA_URL):
            return None
        from django.core.files.storage import default_storage

        name = src[len(settings.MEDIA_URL) :]
        if not default_storage.exists(name):
            return None
        with default_storage.open(name, "rb") as handle:
            return self.upload(name.rsplit("/", 1)[-1], handle.read())

    def rich_text(self, source: str) -> str:
        return clean_html(expand_db_html(source), self.media_src)

    def note(self, text: str) -> str:
        return f'<p style="{STYLE["note"]}">{escape(text)}</p>'

    def block(self, block_type: str, value: object) -> str:
        method = getattr(self, f"block_{block_type}", None)
        return method(value) if method else ""

    def block_paragraph(self, value: object) -> str:
        return self.rich_text(getattr(value, "source", str(value)))

    def block_image(self, value: dict) -> str:
        return self.image(value.get("image"), value.get("caption") or "")

    def block_gallery(self, value: dict) -> str:
        title = value.get("title")
        head = f'<h3 style="{STYLE["h3"]}">{escape(title)}</h3>' if title else ""
        images = value.get("images") or []
        return head + "".join(self.block_image(item) for item in images)

    def block_video(self, value: dict) -> str:
        poster = self.image(value.get("poster")) if value.get("poster") else ""
        title = value.get("title") or "视频"
        return poster + self.note(f"【视频】{title}（请点击“阅读原文”观看）")

    def block_audio(self, value: dict) -> str:
        return self.note(f"【音频】{value.get('title') or '音频'}（请点击“阅读原文”收听）")

    def block_quote(self, value: dict) -> str:
        text = escape(value.get("text") or "").replace("\n", "<br>")
        who = value.get("attribution")
        tail = f"<br>——{escape(who)}" if who else ""
        return f'<blockquote style="{STYLE["blockquote"]}">{text}{tail}</blockquote>'

    def block_callout(self, value: dict) -> str:
        title = value.get("title")
        head = f"<p><strong>{escape(title)}</strong></p>" if title else ""
        body = self.block_paragraph(value.get("text"))
        return f'<section style="{STYLE["section"]}">{head}{body}</section>'

    def body(self, stream: object) -> str:
        return "".join(self.block(child.block_type, child.value) for child in stream or [])
