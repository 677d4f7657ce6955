"""The report's charts as PNG images for the Word file, drawn with Pillow: the same bars
(and colours) as the SVG charts of core/charts.py, from the same Table rows."""

from __future__ import annotations

import functools
import io
from pathlib import Path

from django.core import checks
from PIL import Image, ImageDraw, ImageFont

from weizhi.core.charts import PALETTE

from .dashboards import Table

# Debian's fonts-noto-cjk (installed with the browser tests' dependencies), then WenQuanYi.
FONTS = (
    (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 2),
    (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), 0),
    (Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), 0),
)
SCALE = 2  # drawn at twice the size shown in Word, so it prints sharp
WIDTH, BAR, GAP, LABEL = 640, 20, 8, 170
INK, GRID = (51, 51, 51), (221, 221, 221)


@functools.cache
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path, index in FONTS:
        if path.exists():
            return ImageFont.truetype(str(path), size * SCALE, index=index)
    # No CJK font: Pillow's own font still draws the numbers; Chinese labels are boxes.
    return ImageFont.load_default(size * SCALE)


def check_cjk_font(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A system check (manage.py check, at every start): without a CJK font the Word
    report's charts label their bars with boxes."""
    if any(path.exists() for path, _index in FONTS):
        return []
    return [
        checks.Warning(
            "没有找到中文字体：Word 报告里图表的中文会显示为方框。",
            hint="Debian/Ubuntu：apt-get install fonts-noto-cjk",
            id="weizhi.W001",
        )
    ]


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def _clip(text: str, limit: int = 12) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _num(v: float) -> str:
    return f"{v:g}" if isinstance(v, float) else f"{v:,}"


def png(table: Table) -> bytes | None:
    """The table's chart, or None when it has none (or no rows)."""
    if not table.rows:
        return None
    if table.chart in {"bar", "counts"}:  # the PNG shows no shares either way
        return _bars(table)
    if table.chart in {"stacked", "stacked_participation"}:
        return _stacked(table)
    return None


def _canvas(height: int) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", (WIDTH * SCALE, height * SCALE), "white")
    return image, ImageDraw.Draw(image)


def _save(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _label(draw: ImageDraw.ImageDraw, y: int, text: str) -> None:
    f = font(12)
    w = draw.textlength(_clip(text), font=f)
    draw.text(((LABEL - 8) * SCALE - w, (y + 2) * SCALE), _clip(text), font=f, fill=INK)


def _bars(table: Table) -> bytes:
    values = [r[table.value] for r in table.rows]
    top = max(values, default=0) or 1
    room = WIDTH - LABEL - 90
    image, draw = _canvas(GAP + len(values) * (BAR + GAP))
    for i, (row, value) in enumerate(zip(table.rows, values, strict=True)):
        y = GAP + i * (BAR + GAP)
        _label(draw, y, str(row[0]))
        w = room * value / top
        if w >= 0.5:
            draw.rectangle(
                (LABEL * SCALE, y * SCALE, (LABEL + w) * SCALE, (y + BAR) * SCALE),
                fill=_rgb(PALETTE[0]),
            )
        draw.text(((LABEL + w + 6) * SCALE, (y + 2) * SCALE), _num(value), font=font(12), fill=INK)
    return _save(image)


def _stacked(table: Table) -> bytes:
    first = 1 if table.chart == "stacked" else 4
    series = table.head[first:] if table.chart == "stacked" else table.head[first:-1]
    counts = [r[first : first + len(series)] for r in table.rows]
    per_line = 3
    legend = 22 * -(-len(series) // per_line)
    room = WIDTH - LABEL - 20
    image, draw = _canvas(legend + GAP + len(counts) * (BAR + GAP))
    for j, name in enumerate(series):
        x, y = 10 + (j % per_line) * 210, 4 + (j // per_line) * 22
        draw.rectangle(
            (x * SCALE, y * SCALE, (x + 14) * SCALE, (y + 14) * SCALE),
            fill=_rgb(PALETTE[j % len(PALETTE)]),
        )
        draw.text(((x + 20) * SCALE, y * SCALE), _clip(name, 14), font=font(12), fill=INK)
    for i, (row, values) in enumerate(zip(table.rows, counts, strict=True)):
        y = legend + GAP + i * (BAR + GAP)
        _label(draw, y, str(row[0]))
        total = sum(values)
        x = float(LABEL)
        for j, value in enumerate(values):
            w = room * value / total if total else 0
            if w >= 0.5:
                draw.rectangle(
                    (x * SCALE, y * SCALE, (x + w) * SCALE, (y + BAR) * SCALE),
                    fill=_rgb(PALETTE[j % len(PALETTE)]),
                )
            x += w
        if not total:
            draw.text((LABEL * SCALE, (y + 2) * SCALE), "暂无活动", font=font(12), fill=GRID)
    return _save(image)
