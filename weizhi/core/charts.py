"""Charts drawn on the server as SVG: horizontal bars, a pie, stacked and grouped bars.

Each function returns one ``<figure>`` holding an SVG (``role="img"``, with a title and a
description that states the numbers, for screen readers) and the same numbers as a table
inside ``<details>`` (the fallback for readers, printers and copy-paste). Nothing is fetched
and no script runs, so a chart shows offline, in print and under a strict CSP; every label is
escaped here. The module knows nothing of what is being counted.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Colours told apart by most colour-blind readers (the Okabe–Ito set), party red first.
PALETTE = ("#b71c1c", "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#666")
WIDTH = 600
BAR_HEIGHT, BAR_GAP, LABEL_WIDTH = 22, 10, 180
_ids = itertools.count(1)


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _clip(label: str, limit: int = 14) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _percent(value: float, total: float) -> str:
    return f"{value / total * 100:.1f}%" if total else "0%"


def _table(head: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    th = "".join(f'<th scope="col">{escape(h)}</th>' for h in head)
    body = "".join(
        "<tr>"
        + f'<th scope="row">{escape(row[0])}</th>'
        + "".join(f"<td>{escape(_number(v) if isinstance(v, float) else v)}</td>" for v in row[1:])
        + "</tr>"
        for row in rows
    )
    return (
        '<details class="chart-data"><summary>数据表</summary>'
        f'<table class="chart-table"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'
        "</details>"
    )


def _figure(kind: str, title: str, desc: str, height: int, shapes: str, table: str) -> SafeString:
    n = next(_ids)
    svg = (
        f'<svg class="chart-svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="chart-t{n} chart-d{n}" xmlns="http://www.w3.org/2000/svg" '
        f'font-size="13" font-family="sans-serif">'
        f'<title id="chart-t{n}">{escape(title)}</title><desc id="chart-d{n}">{escape(desc)}</desc>'
        f"{shapes}</svg>"
    )
    # Every piece of text above went through escape(); numbers are formatted here.
    return mark_safe(  # noqa: S308
        f'<figure class="chart chart-{kind}" data-chart="{kind}">'
        f"<figcaption>{escape(title)}</figcaption>{svg}{table}</figure>"
    )


def _description(labels: Sequence[str], values: Sequence[float], unit: str) -> str:
    return "；".join(
        f"{label}：{_number(v)}{unit}" for label, v in zip(labels, values, strict=True)
    )


def bar(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    unit: str = "",
    shares: bool = True,
) -> SafeString:
    """Horizontal bars, one per label, longest first as given; the value and its share (not
    where the values overlap and a share of their sum would mean nothing: shares=False)."""
    total = sum(values)
    top = max(values, default=0) or 1
    room = WIDTH - LABEL_WIDTH - 110
    shapes = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = BAR_GAP + i * (BAR_HEIGHT + BAR_GAP)
        w = room * value / top
        shapes.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end" fill="#333">'
            f"{escape(_clip(label))}</text>"
            f'<rect class="chart-bar" x="{LABEL_WIDTH}" y="{y}" width="{w:.1f}" '
            f'height="{BAR_HEIGHT}" fill="{colour(0)}" rx="2"><title>{escape(label)}：'
            f"{_number(value)}{escape(unit)}</title></rect>"
            f'<text x="{LABEL_WIDTH + w + 6:.1f}" y="{y + 16}" fill="#333">{_number(value)}'
            f"{escape(unit)}{f'（{_percent(value, total)}）' if shares else ''}</text>"
        )
    height = BAR_GAP + len(labels) * (BAR_HEIGHT + BAR_GAP)
    if shares:
        rows = [(label, v, _percent(v, total)) for label, v in zip(labels, values, strict=True)]
        table = _table(("项目", "数量", "占比"), rows)
    else:  # counts that overlap: a share of their sum means nothing
        table = _table(("项目", "数量"), list(zip(labels, values, strict=True)))
    return _figure("bar", title, _description(labels, values, unit), height, "".join(shapes), table)


def pie(title: str, labels: Sequence[str], values: Sequence[float]) -> SafeString:
    """A pie with a legend beside it; an empty pie is a grey ring saying 暂无数据."""
    total = sum(values)
    cx, cy, r = 130, 130, 110
    shapes = []
    if not total:
        shapes.append(f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="#eee"/>')
        shapes.append(f'<text x="{cx}" y="{cy}" text-anchor="middle">暂无数据</text>')
    angle = -math.pi / 2
    for i, value in enumerate(values):
        if not total or not value:
            continue
        if value == total:
            shapes.append(
                f'<circle class="chart-slice" cx="{cx}" cy="{cy}" r="{r}" fill="{colour(i)}"/>'
            )
            break
        end = angle + 2 * math.pi * value / total
        x1, y1 = cx + r * math.cos(angle), cy + r * math.sin(angle)
        x2, y2 = cx + r * math.cos(end), cy + r * math.sin(end)
        large = 1 if end - angle > math.pi else 0
        shapes.append(
            f'<path class="chart-slice" d="M{cx},{cy} L{x1:.2f},{y1:.2f} '
            f'A{r},{r} 0 {large} 1 {x2:.2f},{y2:.2f} Z" fill="{colour(i)}" stroke="#fff">'
            f"<title>{escape(labels[i])}：{_number(value)}</title></path>"
        )
        angle = end
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 20 + i * 24
        shapes.append(
            f'<rect x="280" y="{y}" width="14" height="14" fill="{colour(i)}"/>'
            f'<text x="300" y="{y + 12}" fill="#333">{escape(_clip(label, 16))} '
            f"{_number(value)}（{_percent(value, total)}）</text>"
        )
    height = max(260, 30 + len(labels) * 24)
    rows = [(label, v, _percent(v, total)) for label, v in zip(labels, values, strict=True)]
    table = _table(("项目", "数量", "占比"), rows)
    return _figure("pie", title, _description(labels, values, ""), height, "".join(shapes), table)


def stacked_bar(
    title: str,
    rows: Sequence[str],
    series: Sequence[str],
    counts: Sequence[Sequence[float]],
) -> SafeString:
    """One horizontal bar per row, split into the series' shares (100% wide each)."""
    room = WIDTH - LABEL_WIDTH - 20
    legend_h = 24 * math.ceil(len(series) / 4)
    shapes = []
    for j, name in enumerate(series):
        x, y = 10 + (j % 4) * 145, 6 + (j // 4) * 24
        shapes.append(
            f'<rect x="{x}" y="{y}" width="14" height="14" fill="{colour(j)}"/>'
            f'<text x="{x + 20}" y="{y + 12}" fill="#333">{escape(_clip(name, 8))}</text>'
        )
    for i, (row, values) in enumerate(zip(rows, counts, strict=True)):
        y = legend_h + BAR_GAP + i * (BAR_HEIGHT + BAR_GAP)
        total = sum(values)
        shapes.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end" fill="#333">'
            f"{escape(_clip(row))}</text>"
        )
        x = float(LABEL_WIDTH)
        for j, value in enumerate(values):
            w = room * value / total if total else 0
            if w:
                shapes.append(
                    f'<rect class="chart-bar" x="{x:.1f}" y="{y}" width="{w:.1f}" '
                    f'height="{BAR_HEIGHT}" fill="{colour(j)}"><title>{escape(row)} · '
                    f"{escape(series[j])}：{_number(value)}（{_percent(value, total)}）"
                    "</title></rect>"
                )
            x += w
    height = legend_h + BAR_GAP + len(rows) * (BAR_HEIGHT + BAR_GAP)
    table = _table(
        ("", *series), [(row, *values) for row, values in zip(rows, counts, strict=True)]
    )
    desc = "；".join(
        f"{row}：" + "，".join(f"{s} {_number(v)}" for s, v in zip(series, vals, strict=True))
        for row, vals in zip(rows, counts, strict=True)
    )
    return _figure("stacked", title, desc, height, "".join(shapes), table)


def grouped_bar(
    title: str,
    rows: Sequence[str],
    series: Sequence[str],
    counts: Sequence[Sequence[float]],
    kind: str = "grouped",
) -> SafeString:
    """One group of thin horizontal bars per row, one bar per series, on one scale (to set
    two periods, or two measures, side by side)."""
    room = WIDTH - LABEL_WIDTH - 70
    legend_h = 24 * math.ceil(len(series) / 4)
    top = max((v for values in counts for v in values), default=0) or 1
    thin = max(8, BAR_HEIGHT // max(1, len(series)))
    group = thin * len(series)
    shapes = []
    for j, name in enumerate(series):
        x, y = 10 + (j % 4) * 145, 6 + (j // 4) * 24
        shapes.append(
            f'<rect x="{x}" y="{y}" width="14" height="14" fill="{colour(j)}"/>'
            f'<text x="{x + 20}" y="{y + 12}" fill="#333">{escape(_clip(name, 8))}</text>'
        )
    for i, (row, values) in enumerate(zip(rows, counts, strict=True)):
        y = legend_h + BAR_GAP + i * (group + BAR_GAP)
        shapes.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + group / 2 + 5:.1f}" text-anchor="end" '
            f'fill="#333">{escape(_clip(row))}</text>'
        )
        for j, value in enumerate(values):
            w = room * value / top
            shapes.append(
                f'<rect class="chart-bar" x="{LABEL_WIDTH}" y="{y + j * thin}" width="{w:.1f}" '
                f'height="{thin - 1}" fill="{colour(j)}"><title>{escape(row)} · '
                f"{escape(series[j])}：{_number(value)}</title></rect>"
                f'<text x="{LABEL_WIDTH + w + 4:.1f}" y="{y + j * thin + thin - 2}" '
                f'font-size="11" fill="#333">{_number(value)}</text>'
            )
    height = legend_h + BAR_GAP + len(rows) * (group + BAR_GAP)
    table = _table(
        ("", *series), [(row, *values) for row, values in zip(rows, counts, strict=True)]
    )
    desc = "；".join(
        f"{row}：" + "，".join(f"{s} {_number(v)}" for s, v in zip(series, vals, strict=True))
        for row, vals in zip(rows, counts, strict=True)
    )
    return _figure(kind, title, desc, height, "".join(shapes), table)


def paired_bar(
    title: str,
    rows: Sequence[str],
    series: Sequence[str],
    counts: Sequence[Sequence[float]],
) -> SafeString:
    """Per row, one thin bar per series on one scale, to compare two counts of one thing
    (ours and WeChat's)."""
    return grouped_bar(title, rows, series, counts, kind="paired")
