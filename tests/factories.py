"""Builders for the objects most tests need, made through the real models."""

import io
from datetime import date

from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images.models import Image

from weizhi.content.models import ArticlePage, ColumnPage, HomePage, RepostPage
from weizhi.content.site_setup import ensure_site


def site_home() -> HomePage:
    return ensure_site()


def column(slug: str = "toutiao") -> ColumnPage:
    return ColumnPage.objects.get(slug=slug)


def paragraph(text: str) -> list[dict]:
    return [{"type": "paragraph", "value": f"<p>{text}</p>"}]


def article(
    parent: ColumnPage | None = None,
    title: str = "测试文章",
    body: str = "正文",
    publish: bool = True,
    **fields,
) -> ArticlePage:
    parent = parent or column()
    fields.setdefault("live", publish)
    page = parent.add_child(instance=ArticlePage(title=title, body=paragraph(body), **fields))
    if publish:
        page.save_revision().publish()
    return page


def repost(parent: ColumnPage | None = None, title: str = "转载文章", **fields) -> RepostPage:
    parent = parent or column()
    defaults = {
        "source_name": "新华网",
        "source_url": "https://example.org/original",
        "source_date": date(2026, 7, 1),
        "body": paragraph("转载正文"),
    }
    page = parent.add_child(instance=RepostPage(title=title, **{**defaults, **fields}))
    page.save_revision().publish()
    return page


def image(title: str = "测试图片", size: tuple[int, int] = (64, 48)) -> Image:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, (183, 28, 28)).save(buffer, "PNG")
    return Image.objects.create(title=title, file=ImageFile(buffer, name="test.png"))
