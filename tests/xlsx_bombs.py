"""Hostile .xlsx files for the import tests (no tests here): small on disk, huge once read.

Each starts from a real roster workbook written by openpyxl and swaps one part for a stream
written straight into the zip, so building them takes little time and memory.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from openpyxl import Workbook

HEADING = ["姓名", "工号", "手机号", "部门", "所属组织", "政治面貌", "角色标签", "入党日期"]
SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _base(rows: list[list] | None = None) -> bytes:
    wb = Workbook()
    sheet = wb.active
    sheet.append(HEADING)
    for row in rows or []:
        sheet.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _build(path: Path, parts: dict[str, object]) -> Path:
    """A copy of a one-sheet openpyxl workbook with ``parts`` (name → bytes or an iterable of
    bytes) written over or added to it; an added shared-strings part is declared too."""
    with (
        zipfile.ZipFile(io.BytesIO(_base())) as src,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out,
    ):
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "[Content_Types].xml" and STRINGS in parts:
                data = data.replace(b"</Types>", STRINGS_TYPE + b"</Types>")
            if info.filename == "xl/_rels/workbook.xml.rels" and STRINGS in parts:
                data = data.replace(b"</Relationships>", STRINGS_REL + b"</Relationships>")
            if info.filename not in parts:
                out.writestr(info, data)
        for name, content in parts.items():
            with out.open(name, "w", force_zip64=True) as part:
                for piece in [content] if isinstance(content, bytes) else content:
                    part.write(piece)
    return path


STRINGS_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml" />'
)
STRINGS_REL = (
    b'<Relationship Id="rIdStrings" Target="sharedStrings.xml" Type="http://schemas.'
    b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" />'
)


def _sheet(rows) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}"><sheetData>'.encode()
        + b"".join(rows)
        + b"</sheetData></worksheet>"
    )


def _inline_row(values: list[str]) -> bytes:
    cells = b"".join(b'<c t="inlineStr"><is><t>%s</t></is></c>' % v.encode() for v in values)
    return b"<row>" + cells + b"</row>"


def many_rows(path: Path, rows: int = 1_000_000) -> Path:
    """The roster heading, then ``rows`` rows of one tiny cell each."""

    def pieces():
        head, _, tail = _sheet([_inline_row(HEADING)]).partition(b"</sheetData>")
        yield head
        for _ in range(rows // 1000):
            yield b"<row><c><v>1</v></c></row>" * 1000
        yield b"</sheetData>" + tail

    return _build(path, {SHEET: pieces()})


def many_strings(path: Path, strings: int = 10_000_000) -> Path:
    """A valid roster row whose shared-strings table also holds ``strings`` one-letter strings."""
    values = [*HEADING, "张三", "100001", "", "", "第一党支部", "正式党员", "", ""]
    cells = [b'<c t="s"><v>%d</v></c>' % i for i in range(len(values))]
    sheet = _sheet(
        [b"<row>" + b"".join(cells[:8]) + b"</row>", b"<row>" + b"".join(cells[8:]) + b"</row>"]
    )

    def table():
        yield f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}">'.encode()
        yield b"".join(b"<si><t>%s</t></si>" % v.encode() for v in values)
        for _ in range(strings // 10_000):
            yield b"<si><t>x</t></si>" * 10_000
        yield b"</sst>"

    return _build(path, {SHEET: sheet, STRINGS: table()})
