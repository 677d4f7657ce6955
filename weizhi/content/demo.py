"""Demo content for a fresh install: stories in every column, a topic page and their pictures.

The pictures are drawn here with Pillow, so loading needs no network. Everything is keyed
on something stable (a story's slug under its column, a picture's title in the demo
collection), so loading again only adds what is missing.
"""

import functools
import hashlib
import io
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.images import ImageFile
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape
from PIL import Image as PILImage
from PIL import ImageChops, ImageDraw, ImageFont
from wagtail.images.models import Image
from wagtail.models import Collection, Page
from wagtail.utils.file import hash_filelike

from weizhi.content.demo_text import STORIES, TOPIC, Art, Sheet, Story, Topic
from weizhi.content.models import (
    ArticlePage,
    ColumnPage,
    HomePage,
    InfographicPage,
    RepostPage,
    StoryPage,
    TopicPage,
    VideoPage,
)
from weizhi.content.site_setup import ensure_site

COLLECTION_NAME = "演示图片"
PINNED_DAYS = 30
FONT_DIR = Path("/usr/share/fonts/opentype/noto")
FONT_INDEX_SC = 2  # the Simplified Chinese face inside the Noto CJK collections

COVER = (1200, 800)
GALLERY = (800, 600)
POSTER = (1200, 675)
BANNER = (1200, 500)
SHEET_WIDTH = 750

# (dark, light, accent) for each palette.
PALETTES = {
    "red": ((128, 14, 20), (214, 52, 40), (248, 200, 90)),
    "gold": ((126, 64, 8), (224, 152, 44), (255, 238, 176)),
    "blue": ((10, 40, 84), (36, 112, 172), (250, 212, 104)),
    "green": ((16, 74, 50), (62, 148, 94), (250, 224, 120)),
}
CREAM = (251, 246, 236)
PARTY_RED = (190, 24, 30)
INK = (51, 51, 51)
KIND_CLASSES = {
    "article": ArticlePage,
    "repost": RepostPage,
    "infographic": InfographicPage,
    "video": VideoPage,
}


@dataclass
class DemoResult:
    pages: int = 0
    images: int = 0
    live: int = 0


@functools.cache
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | None:
    name = "NotoSansCJK-Bold.ttc" if bold else "NotoSansCJK-Regular.ttc"
    try:
        return ImageFont.truetype(str(FONT_DIR / name), size, index=FONT_INDEX_SC)
    except OSError:
        return None


def _measure(text: str, size: int, bold: bool = False) -> float:
    font = _font(size, bold)
    return font.getlength(text) if font else len(text) * size


def _text(draw: ImageDraw.ImageDraw, xy, text: str, size: int, fill, bold=False) -> None:
    """Draw text, or a bar of its length when no CJK font is installed."""
    font = _font(size, bold)
    if font:
        draw.text(xy, text, font=font, fill=fill)
    else:
        x, y = xy
        bar = (x, y + size * 0.25, x + len(text) * size * 0.9, y + size * 0.85)
        draw.rounded_rectangle(bar, radius=size // 4, fill=fill)


def _wrap(text: str, size: int, width: float, bold: bool = False) -> list[str]:
    lines, line = [], ""
    for char in text:
        # Closing punctuation stays on the line it closes, as Chinese typesetting wants.
        if line and char not in "，。、；：！？）”》" and _measure(line + char, size, bold) > width:
            lines.append(line)
            line = ""
        line += char
    return [*lines, line] if line else lines


def _background(size: tuple[int, int], palette: str) -> PILImage.Image:
    dark, light, _ = PALETTES[palette]
    ramp = PILImage.linear_gradient("L")
    diagonal = ImageChops.add(ramp, ramp.rotate(90), scale=2.0).resize(size)
    return PILImage.composite(
        PILImage.new("RGB", size, dark), PILImage.new("RGB", size, light), diagonal
    )


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, radius: float, fill) -> None:
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.382
        angle = math.radians(-90 + i * 36)
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    draw.polygon(points, fill=fill)


def _rays(draw, w, h, accent) -> None:
    cx, cy, reach = w * 0.8, h * 0.22, max(w, h) * 1.6
    for i in range(0, 24, 2):
        a0, a1 = math.radians(i * 15), math.radians(i * 15 + 7.5)
        tips = [(cx + reach * math.cos(a), cy + reach * math.sin(a)) for a in (a0, a1)]
        draw.polygon([(cx, cy), *tips], fill=(*accent, 26))
    _star(draw, cx, cy, h * 0.11, (*accent, 235))


def _waves(draw, w, h, accent) -> None:
    for i in range(36):
        x, y = (i * 97) % w, (i * 53) % int(h * 0.55)
        draw.line([(x, y), (x - 14, y + 46)], fill=(255, 255, 255, 70), width=3)
    for k in range(4):
        base, amp = h * (0.52 + k * 0.11), h * 0.035
        crest = [
            (x, base + amp * math.sin(x / w * 4 * math.pi + k * 1.3)) for x in range(0, w + 21, 20)
        ]
        draw.polygon([*crest, (w, h), (0, h)], fill=(255, 255, 255, 34 + k * 22))


def _factory(draw, w, h, accent) -> None:
    ground, shade = h * 0.8, (12, 16, 30, 150)
    blocks = [(0.0, 0.14, 0.2), (0.12, 0.1, 0.34), (0.25, 0.16, 0.24), (0.55, 0.12, 0.3)]
    blocks += [(0.7, 0.18, 0.2), (0.9, 0.1, 0.28)]
    for x0, bw, bh in blocks:
        draw.rectangle((x0 * w, ground - bh * h, (x0 + bw) * w, ground), fill=shade)
    for x0, ch in [(0.44, 0.5), (0.49, 0.42)]:
        draw.rectangle((x0 * w, ground - ch * h, (x0 + 0.025) * w, ground), fill=shade)
        for j in range(3):
            r = h * (0.03 + j * 0.015)
            cx, cy = (x0 + 0.02 + j * 0.03) * w, ground - ch * h - r - j * h * 0.04
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(255, 255, 255, 50))
    mast = w * 0.8
    draw.line([(mast, ground), (mast, h * 0.18)], fill=(*accent, 200), width=6)
    draw.line([(w * 0.62, h * 0.2), (w * 0.98, h * 0.2)], fill=(*accent, 200), width=6)
    draw.line([(w * 0.7, h * 0.2), (w * 0.7, h * 0.42)], fill=(*accent, 160), width=2)
    draw.rectangle((0, ground, w, h), fill=(8, 10, 20, 170))


def _hills(draw, w, h, accent) -> None:
    r = h * 0.12
    draw.ellipse((w * 0.72 - r, h * 0.28 - r, w * 0.72 + r, h * 0.28 + r), fill=(*accent, 210))
    for k in range(3):
        base, amp = h * (0.55 + k * 0.12), h * (0.14 - k * 0.03)
        ridge = [
            (x, base - amp * abs(math.sin(x / w * (2.2 + k) * math.pi + k)))
            for x in range(0, w + 21, 20)
        ]
        draw.polygon([*ridge, (w, h), (0, h)], fill=(255, 255, 255, 40 + k * 30))


def _people(draw, w, h, accent) -> None:
    # Kept to the right half, clear of the label in the bottom-left corner.
    for i in range(5):
        cx, scale = w * (0.52 + i * 0.105), 1 - abs(i - 2) * 0.08
        head, top = h * 0.05 * scale, h * (0.48 + abs(i - 2) * 0.04)
        draw.ellipse((cx - head, top - head, cx + head, top + head), fill=(255, 240, 225, 230))
        draw.pieslice(
            (cx - head * 1.15, top - head * 1.3, cx + head * 1.15, top + head * 0.9),
            180,
            360,
            fill=(*accent, 255),
        )
        body = (cx - head * 1.3, top + head * 1.3, cx + head * 1.3, h * 1.05)
        draw.rounded_rectangle(body, radius=int(head), fill=(255, 255, 255, 200))


def _book(draw, w, h, accent) -> None:
    cx, top, bottom, half = w * 0.68, h * 0.26, h * 0.7, w * 0.22
    for side in (-1, 1):
        page = [(cx, top + h * 0.04), (cx + side * half, top), (cx + side * half, bottom)]
        draw.polygon([*page, (cx, bottom + h * 0.04)], fill=(255, 252, 240, 225))
        for j in range(6):
            y = top + h * (0.07 + j * 0.055)
            x0, x1 = cx + side * w * 0.03, cx + side * (half - w * 0.03)
            draw.line([(x0, y + h * 0.02), (x1, y)], fill=(150, 110, 70, 150), width=4)
    draw.line([(cx, top + h * 0.04), (cx, bottom + h * 0.04)], fill=(120, 60, 20, 200), width=4)
    ribbon = [(cx + half * 0.6, top), (cx + half * 0.72, top), (cx + half * 0.72, top + h * 0.18)]
    draw.polygon(
        [*ribbon, (cx + half * 0.66, top + h * 0.15), (cx + half * 0.6, top + h * 0.18)],
        fill=PARTY_RED,
    )


def _shield(draw, w, h, accent) -> None:
    cx, top, half = w * 0.7, h * 0.16, h * 0.26
    for k in range(3):
        r = h * (0.42 + k * 0.1)
        draw.ellipse(
            (cx - r, h * 0.4 - r, cx + r, h * 0.4 + r), outline=(255, 255, 255, 40), width=4
        )
    outline = [(cx - half, top), (cx + half, top), (cx + half, top + half * 1.1)]
    outline += [(cx, top + half * 2.2), (cx - half, top + half * 1.1)]
    draw.polygon(outline, fill=(255, 255, 255, 225))
    tick = [(cx - half * 0.45, top + half), (cx - half * 0.1, top + half * 1.4)]
    draw.line([*tick, (cx + half * 0.5, top + half * 0.55)], fill=(*accent, 255), width=18)


def _ink(draw, w, h, accent) -> None:
    paper = (w * 0.42, h * 0.1, w * 0.94, h * 0.78)
    draw.rounded_rectangle(paper, radius=12, fill=(246, 238, 218, 235))
    for k in range(4):
        box = (w * (0.46 + k * 0.1), h * 0.16, w * (0.6 + k * 0.1), h * 0.7)
        draw.arc(box, 200 + k * 20, 330 + k * 10, fill=(40, 36, 32, 170), width=14 - k * 2)
    seal = (w * 0.84, h * 0.62, w * 0.91, h * 0.62 + w * 0.07)
    draw.rectangle(seal, fill=(178, 30, 30, 235))


MOTIFS = {
    "rays": _rays,
    "waves": _waves,
    "factory": _factory,
    "hills": _hills,
    "people": _people,
    "book": _book,
    "shield": _shield,
    "ink": _ink,
}


def _label(draw: ImageDraw.ImageDraw, w: int, h: int, text: str, accent) -> None:
    size = int(h * 0.11)
    while size > 24 and len(_wrap(text, size, w * 0.5, bold=True)) > 2:
        size -= 4
    lines = _wrap(text, size, w * 0.5, bold=True)
    y = h - h * 0.08 - len(lines) * size * 1.25
    draw.rectangle((w * 0.06, y - size * 0.45, w * 0.06 + size * 1.6, y - size * 0.3), fill=accent)
    for line in lines:
        _text(draw, (w * 0.06 + 3, y + 3), line, size, (0, 0, 0, 90), bold=True)
        _text(draw, (w * 0.06, y), line, size, "white", bold=True)
        y += size * 1.25
    _text(draw, (w * 0.06, h * 0.06), "微智", int(h * 0.045), accent, bold=True)


def _play_button(draw, w, h) -> None:
    r, cx, cy = h * 0.12, w / 2, h / 2
    draw.ellipse(
        (cx - r, cy - r, cx + r, cy + r), fill=(0, 0, 0, 110), outline=(255, 255, 255, 230), width=6
    )
    draw.polygon(
        [(cx - r * 0.35, cy - r * 0.5), (cx - r * 0.35, cy + r * 0.5), (cx + r * 0.55, cy)],
        fill="white",
    )


def _jpeg(image: PILImage.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80, optimize=True, progressive=True)
    return buffer.getvalue()


def render_art(art: Art, size: tuple[int, int], play: bool = False) -> bytes:
    """A JPEG picture: the palette's gradient, the motif and the label."""
    image = _background(size, art.palette)
    draw = ImageDraw.Draw(image, "RGBA")  # RGBA on an RGB image blends translucent shapes
    accent = PALETTES[art.palette][2]
    MOTIFS[art.motif](draw, *size, accent)
    if play:
        _play_button(draw, *size)
    _label(draw, *size, art.label, accent)
    return _jpeg(image)


def render_sheet(sheet: Sheet) -> bytes:
    """A long infographic: a red header, one numbered card per section, a footer."""
    w, pad = SHEET_WIDTH, 40
    header = _background((w, 380), "red")
    draw = ImageDraw.Draw(header, "RGBA")
    _rays(draw, w, 380, PALETTES["red"][2])
    y = 70
    for line in _wrap(sheet.title, 54, w - 2 * pad, bold=True):
        _text(draw, (pad, y), line, 54, "white", bold=True)
        y += 72
    for line in _wrap(sheet.lead, 26, w - 2 * pad):
        _text(draw, (pad, y + 16), line, 26, PALETTES["red"][2])
        y += 40
    canvas = PILImage.new("RGB", (w, 4000), CREAM)
    canvas.paste(header, (0, 0))
    draw = ImageDraw.Draw(canvas)
    y = 420
    text_width = w - 2 * pad - 110
    for number, (heading, lines) in enumerate(sheet.sections, 1):
        wrapped = [_wrap(line, 28, text_width - 24) for line in lines]
        height = 110 + sum(len(rows) for rows in wrapped) * 44 + len(lines) * 10
        draw.rounded_rectangle((pad, y, w - pad, y + height), radius=24, fill="white")
        draw.ellipse((pad + 24, y + 28, pad + 80, y + 84), fill=PARTY_RED)
        _text(draw, (pad + 43, y + 33), str(number), 34, "white", bold=True)
        _text(draw, (pad + 110, y + 30), heading, 36, PARTY_RED, bold=True)
        row_y = y + 96
        for rows in wrapped:
            draw.ellipse((pad + 110, row_y + 17, pad + 120, row_y + 27), fill=(214, 152, 40))
            for row in rows:
                _text(draw, (pad + 134, row_y), row, 28, INK)
                row_y += 44
            row_y += 10
        y += height + 32
    draw.rectangle((0, y + 20, w, y + 140), fill=PARTY_RED)
    _text(draw, (pad, y + 58), "微智 · 一图读懂", 30, PALETTES["red"][2], bold=True)
    return _jpeg(canvas.crop((0, 0, w, y + 140)))


def text_version(sheets: tuple[Sheet, ...]) -> str:
    parts = [f"<p>{escape(sheets[0].lead)}</p>"]
    for sheet in sheets:
        for heading, lines in sheet.sections:
            items = "".join(f"<li>{escape(line)}</li>" for line in lines)
            parts.append(f"<h3>{escape(heading)}</h3><ul>{items}</ul>")
    return "".join(parts)


def demo_collection() -> Collection:
    root = Collection.get_first_root_node()
    found = root.get_children().filter(name=COLLECTION_NAME).first()
    return found or root.add_child(name=COLLECTION_NAME)


class ImageLibrary:
    """The demo pictures, found by title or drawn and saved on first use."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self.created = 0
        self._by_title = {
            image.title: image for image in Image.objects.filter(collection=collection)
        }

    def art(self, art: Art, size: tuple[int, int] = COVER, play: bool = False) -> Image:
        return self._get(art.label, lambda: render_art(art, size, play))

    def sheet(self, sheet: Sheet) -> Image:
        return self._get(f"长图 · {sheet.title}", lambda: render_sheet(sheet))

    def _get(self, title: str, render) -> Image:
        image = self._by_title.get(title)
        if image is None:
            data = render()
            name = f"demo-{hashlib.sha256(title.encode()).hexdigest()[:12]}.jpg"
            image = Image(
                title=title,
                collection=self.collection,
                file=ImageFile(io.BytesIO(data), name=name),
                file_size=len(data),
                file_hash=hash_filelike(io.BytesIO(data)),
            )
            image.save()
            self._by_title[title] = image
            self.created += 1
        return image


def stream(body: tuple, library: ImageLibrary) -> list[dict]:
    """Body declarations as StreamField data, drawing the pictures they need."""
    blocks = []
    for item in body:
        match item:
            case ("paragraph", html):
                value = html
            case ("image", art, caption):
                value = {"image": library.art(art).pk, "caption": caption}
            case ("gallery", title, pictures):
                images = [{"image": library.art(a, GALLERY).pk, "caption": c} for a, c in pictures]
                value = {"title": title, "images": images}
            case ("quote", text, attribution):
                value = {"text": text, "attribution": attribution}
            case ("callout", title, html, style):
                value = {"title": title, "text": html, "style": style}
            case _:
                raise ValueError(f"unknown demo block {item[0]!r}")
        blocks.append({"type": item[0], "value": value})
    return blocks


def _display_date(now: datetime, story: Story, index: int) -> datetime:
    day = timezone.localtime(now) - timedelta(days=story.days_ago)
    return day.replace(hour=8 + index % 10, minute=(index * 17) % 60, second=0, microsecond=0)


def _build_story(story: Story, library: ImageLibrary, now: datetime, index: int) -> StoryPage:
    when = _display_date(now, story, index)
    page = KIND_CLASSES[story.kind](
        title=story.title,
        slug=story.slug,
        summary=story.summary,
        author=story.author,
        display_date=when,
        first_published_at=when,
        pinned_until=now + timedelta(days=PINNED_DAYS) if story.pinned else None,
        cover=library.art(
            story.cover, POSTER if story.kind == "video" else COVER, story.kind == "video"
        ),
        body=stream(story.body, library),
    )
    if story.kind == "repost":
        page.source_name, page.source_url = story.source
        page.source_date = when.date()
    elif story.kind == "infographic":
        page.images = [
            {"type": "image", "value": {"image": library.sheet(sheet).pk, "caption": ""}}
            for sheet in story.sheets
        ]
        page.text_version = text_version(story.sheets)
    elif story.kind == "video":
        # A few seconds drawn for the demo (weizhi/content/demo_video.py), served as a static
        # file with range requests. URLField wants an absolute address, hence SITE_URL; the
        # page writes it back as a path (VideoPage.source), so any port works.
        page.video_url = f"{settings.SITE_URL}{settings.STATIC_URL}weizhi/demo/{story.slug}.mp4"
        page.poster = page.cover
        page.series = story.series
        page.duration_seconds = story.duration
    page.tags.add(*story.tags)
    return page


def _build_topic(topic: Topic, library: ImageLibrary, columns: dict[str, ColumnPage]) -> TopicPage:
    picked = [
        StoryPage.objects.child_of(columns[column])
        .filter(slug=slug)
        .values_list("pk", flat=True)
        .first()
        for column, slug in topic.picked
    ]
    latest = columns[topic.latest_of]
    lists = [
        {
            "type": "stories",
            "value": {"title": f"{latest.title} · 最新", "column": latest.pk, "count": 5},
        },
        {"type": "stories", "value": {"title": "延伸阅读", "pages": [pk for pk in picked if pk]}},
    ]
    return TopicPage(
        title=topic.title,
        slug=topic.slug,
        intro=topic.intro,
        banner=library.art(topic.banner, BANNER),
        body=[*stream(topic.body, library), *lists],
    )


def _publish(parent: Page, page: Page) -> None:
    parent.add_child(instance=page)
    page.save_revision().publish()


def load_demo() -> DemoResult:
    """Create whatever part of the demo content is missing, one story at a time."""
    home: HomePage = ensure_site()
    library = ImageLibrary(demo_collection())
    columns = {column.slug: column for column in ColumnPage.objects.child_of(home)}
    now = timezone.now()
    result = DemoResult()
    for index, story in enumerate(STORIES):
        column = columns[story.column]
        if Page.objects.child_of(column).filter(slug=story.slug).exists():
            continue
        with transaction.atomic():
            _publish(column, _build_story(story, library, now, index))
        result.pages += 1
    if not Page.objects.child_of(home).filter(slug=TOPIC.slug).exists():
        with transaction.atomic():
            _publish(home, _build_topic(TOPIC, library, columns))
        result.pages += 1
    result.images = library.created
    slugs = [story.slug for story in STORIES]
    result.live = StoryPage.objects.published().descendant_of(home).filter(slug__in=slugs).count()
    return result
