"""The report as a Word file (python-docx): title, period and unit, the summary sentences,
then each section's chart (a PNG from report_charts) and its table with the same numbers."""

from __future__ import annotations

import io

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from . import report_charts
from .dashboards import Table, numeral

RED = RGBColor(0xB7, 0x1C, 0x1C)


def _east_asian(style_or_run, name: str) -> None:
    """Word picks the font of Chinese text from eastAsia, not from the font's name."""
    r_pr = style_or_run.element.get_or_add_rPr()
    r_fonts = r_pr.find(qn("w:rFonts"))
    if r_fonts is None:
        r_fonts = r_pr.makeelement(qn("w:rFonts"), {})
        r_pr.append(r_fonts)
    r_fonts.set(qn("w:eastAsia"), name)


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def render_docx(body: dict) -> bytes:
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)  # A4
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin = section.bottom_margin = Cm(2.0)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(11)
    _east_asian(normal, "宋体")
    for name in ("Title", "Heading 1", "Heading 2"):
        _east_asian(doc.styles[name], "黑体")

    title = doc.add_paragraph(style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(body["title"])
    run.font.color.rgb = RED
    run.font.size = Pt(22)
    meta = doc.add_paragraph()
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER
    meta.add_run(f"统计时段：{body['period']}　组织：{body['unit']}")
    meta.add_run(f"\n对比时段：{body['previous']}").font.size = Pt(9)

    doc.add_heading("一、总体情况", level=1)
    for sentence in body["summary"]:
        doc.add_paragraph(sentence, style="List Bullet")

    for n, data in enumerate(body["sections"]):
        table = Table(**data)
        doc.add_heading(f"{numeral(n + 2)}、{table.title}", level=1)
        if not table.rows:
            doc.add_paragraph("这段时间还没有数据。")
            continue
        image = report_charts.png(table)
        if image:
            doc.add_picture(io.BytesIO(image), width=Cm(16))
        _table(doc, table)
        if table.note:
            note = doc.add_paragraph()
            note_run = note.add_run(table.note)
            note_run.font.size = Pt(9)
            note_run.font.color.rgb = RGBColor(0x66, 0x66, 0x66)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _table(doc, table: Table) -> None:
    grid = doc.add_table(rows=1 + len(table.rows), cols=len(table.head))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    small = Pt(8) if len(table.head) > 6 else Pt(10)
    for j, head in enumerate(table.head):
        cell = grid.rows[0].cells[j]
        cell.text = ""
        head_run = cell.paragraphs[0].add_run(head)
        head_run.bold = True
        head_run.font.size = small
    for i, row in enumerate(table.rows, start=1):
        for j, value in enumerate(row):
            cell = grid.rows[i].cells[j]
            cell.text = ""
            cell_run = cell.paragraphs[0].add_run(_cell(value))
            cell_run.font.size = small
            if j:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
