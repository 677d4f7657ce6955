"""Spreadsheets in and out: a streaming .xlsx reader with explicit limits, and exports that
never hand a spreadsheet program a live formula.

The reader trusts nothing in the file. Before any XML is parsed it refuses an archive whose
entries declare more than ``max_bytes`` unpacked; while parsing it counts the bytes actually
unpacked, the shared strings and the rows, and stops at the first limit passed, so a small
file that unpacks to millions of rows or strings costs no more than the limits allow. It reads
only the parts it needs (relationships, workbook.xml, the number formats in styles.xml, the
shared strings and the first worksheet) with expat, refusing any DTD, and keeps no XML tree.

Every export writes text through ``XlsxWriter`` or ``neutralise`` (CSV): text that a
spreadsheet would take for a formula (OWASP's = + - @ tab CR) stays text.
"""

from __future__ import annotations

import io
import logging
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any, NoReturn
from xml.parsers import expat

from django.conf import settings

log = logging.getLogger(__name__)

MAX_COLUMNS = 100  # cells further right are ignored: no importer has that many columns
MAX_ENTRIES = 1000  # files in the zip; a spreadsheet from Excel or WPS has about a dozen
MAX_CELL_CHARS = 32_767  # Excel's own limit for the text of one cell
MAX_EXCEL_COLUMN = 16_384  # XFD
CHUNK = 64 * 1024
UNREADABLE = "无法读取文件，请上传用模板填写的 .xlsx 文件。"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


class SpreadsheetError(Exception):
    """A file refused: ``message`` is for the user, in Chinese; str() is for the log."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(detail)
        self.message = message


def read_rows(
    source: str | Path | IO[bytes],
    *,
    max_rows: int | None = None,
    max_bytes: int | None = None,
    max_strings: int | None = None,
    max_columns: int = MAX_COLUMNS,
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """Yield (row number, values) for every non-empty row of the first worksheet, in order.

    A sheet may hold a heading row and ``max_rows`` rows below it, empty rows included:
    reading stops at the first row beyond. Values are str, int, float, bool or datetime
    (numbers in a date format), None for an empty cell; trailing empty cells are dropped.
    Limits default to the settings IMPORT_MAX_ROWS, IMPORT_MAX_UNZIPPED_BYTES and
    IMPORT_MAX_STRINGS. Raises SpreadsheetError, logged, for any file refused."""
    limits = _Limits(
        rows=max_rows if max_rows is not None else settings.IMPORT_MAX_ROWS,
        bytes=max_bytes if max_bytes is not None else settings.IMPORT_MAX_UNZIPPED_BYTES,
        strings=max_strings if max_strings is not None else settings.IMPORT_MAX_STRINGS,
        columns=max_columns,
    )
    try:
        with zipfile.ZipFile(source) as archive:
            yield from _Reader(archive, limits).rows()
    except SpreadsheetError as exc:
        log.warning("spreadsheet refused: %s", exc)
        raise
    except (
        zipfile.BadZipFile,
        zlib.error,
        expat.ExpatError,
        EOFError,
        OSError,
        NotImplementedError,  # a compression method zipfile lacks
        RuntimeError,  # an encrypted entry
        ValueError,
        KeyError,
        IndexError,
        OverflowError,
    ) as exc:
        log.warning("spreadsheet refused: unreadable (%s: %s)", type(exc).__name__, exc)
        raise SpreadsheetError(UNREADABLE, f"unreadable: {exc}") from exc


@dataclass(frozen=True)
class _Limits:
    rows: int
    bytes: int
    strings: int
    columns: int


class _Forbidden(Exception):
    pass


def _forbid(*_args: object) -> NoReturn:
    raise _Forbidden


def _too_large(limits: _Limits, detail: str) -> SpreadsheetError:
    megabytes = f"{limits.bytes / 1024 / 1024:.3g}"
    return SpreadsheetError(
        f"文件解压后超过 {megabytes} MB，请删除多余的工作表、图片和格式后重试，或分批导入。",
        detail,
    )


class _Reader:
    """One pass over one archive: the small parts first, then the sheet's rows as they come."""

    def __init__(self, archive: zipfile.ZipFile, limits: _Limits) -> None:
        self.archive = archive
        self.limits = limits
        self.left = limits.bytes  # bytes that may still be unpacked
        entries = archive.infolist()
        if len(entries) > MAX_ENTRIES:
            raise SpreadsheetError(UNREADABLE, f"zip holds {len(entries)} entries")
        declared = sum(e.file_size for e in entries)
        if declared > limits.bytes:
            raise _too_large(limits, f"entries declare {declared} bytes unpacked")
        self.names = {e.filename.lower(): e.filename for e in entries}

    def rows(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        workbook = self._target("", "officedocument")
        if workbook is None:
            raise SpreadsheetError(UNREADABLE, "no workbook part in _rels/.rels")
        sheet_ids, date1904 = self._workbook(workbook)
        rels = self._relationships(workbook)
        sheet = next(
            (rels[i][1] for i in sheet_ids if i in rels and rels[i][0].endswith("/worksheet")),
            None,
        )
        if sheet is None:
            raise SpreadsheetError(UNREADABLE, "the workbook has no worksheet")
        by_type = {kind.rsplit("/", 1)[-1]: target for kind, target in rels.values()}
        dates = self._date_styles(by_type.get("styles"))
        # Every writer we know names the shared strings in the relationships; if one does not,
        # the conventional name is where it would be.
        strings = self._strings(by_type.get("sharedstrings", "xl/sharedStrings.xml"))
        sheet_reader = _SheetReader(self.limits, strings, dates, date1904)
        yield from self._stream(sheet, sheet_reader)

    # Parts are found by name as relationships give them; zip names may differ in case.
    def _part(self, name: str) -> str | None:
        return self.names.get(name.lower())

    def _parse(
        self, name: str, start: Callable, end: Callable | None = None, text: Callable | None = None
    ) -> Iterator[None]:
        """Feed the part through expat, a chunk at a time; yields after each chunk so a
        caller can hand on what the handlers collected."""
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.StartDoctypeDeclHandler = _forbid
        parser.EntityDeclHandler = _forbid
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.buffer_text = True
        parser.StartElementHandler = start
        if end:
            parser.EndElementHandler = end
        if text:
            parser.CharacterDataHandler = text
        try:
            with self.archive.open(name) as part:
                while chunk := part.read(CHUNK):
                    self.left -= len(chunk)
                    if self.left < 0:
                        raise _too_large(self.limits, f"{name} unpacks past the limit")
                    parser.Parse(chunk, False)
                    yield
                parser.Parse(b"", True)
                yield
        except _Forbidden:
            raise SpreadsheetError(UNREADABLE, f"{name} declares a DTD") from None

    def _run(self, name: str, start: Callable, end=None, text=None) -> None:
        for _ in self._parse(name, start, end, text):
            pass

    def _relationships(self, source: str) -> dict[str, tuple[str, str]]:
        """Id → (type, target part name) of the relationships of ``source`` ("" = package)."""
        folder, base = posixpath.split(source)
        name = self._part(posixpath.join(folder, "_rels", base + ".rels"))
        found: dict[str, tuple[str, str]] = {}
        if name is None:
            return found

        def start(tag: str, attrs: dict[str, str]) -> None:
            if _local(tag) == "relationship" and attrs.get("TargetMode") != "External":
                target = attrs.get("Target", "")
                path = target[1:] if target.startswith("/") else posixpath.join(folder, target)
                kind = attrs.get("Type", "").lower()
                if len(found) < MAX_ENTRIES:
                    found[attrs.get("Id", "")] = (kind, posixpath.normpath(path))

        self._run(name, start)
        return found

    def _target(self, source: str, kind: str) -> str | None:
        for rel_kind, target in self._relationships(source).values():
            if rel_kind.endswith("/" + kind):
                return self._part(target)
        return None

    def _workbook(self, name: str) -> tuple[list[str], bool]:
        sheet_ids: list[str] = []
        date1904 = [False]

        def start(tag: str, attrs: dict[str, str]) -> None:
            local = _local(tag)
            if local == "sheet" and len(sheet_ids) < MAX_ENTRIES:
                sheet_ids.extend(v for k, v in attrs.items() if k.endswith(" id"))
            elif local == "workbookpr":
                date1904[0] = attrs.get("date1904", "").lower() in ("1", "true")

        self._run(name, start)
        return sheet_ids, date1904[0]

    def _date_styles(self, target: str | None) -> set[int]:
        """Indexes of the cell formats that show a number as a date or time."""
        name = self._part(target) if target else None
        if name is None:
            return set()
        codes: dict[int, str] = {}
        formats: list[int] = []
        inside = [""]

        def start(tag: str, attrs: dict[str, str]) -> None:
            local = _local(tag)
            if local in ("cellxfs", "cellstylexfs"):
                inside[0] = local
            elif local == "numfmt" and len(codes) < MAX_ENTRIES:
                codes[int(attrs.get("numFmtId", "0"))] = attrs.get("formatCode", "")
            elif local == "xf" and inside[0] == "cellxfs" and len(formats) < 65_536:
                formats.append(int(attrs.get("numFmtId", "0")))

        def end(tag: str) -> None:
            if _local(tag) in ("cellxfs", "cellstylexfs"):
                inside[0] = ""

        self._run(name, start, end)
        return {i for i, f in enumerate(formats) if _is_date_format(f, codes.get(f))}

    def _count_strings(self, name: str) -> int:
        """The <si> elements in a shared-strings part, counted in the raw bytes at C speed, so
        a table of millions of strings is refused before expat calls us once per string."""
        count, tail = 0, b""
        with self.archive.open(name) as part:
            while chunk := part.read(CHUNK):
                buffer = tail + chunk
                cut = max(0, len(buffer) - 64)  # a tag starting later is counted next time
                count += sum(1 for m in _STRING_TAG.finditer(buffer) if m.start() < cut)
                tail = buffer[cut:]
                if count > self.limits.strings:
                    break
        return count + len(_STRING_TAG.findall(tail))

    def _strings(self, target: str | None) -> list[str]:
        name = self._part(target) if target else None
        if name is None:
            return []
        if self._count_strings(name) > self.limits.strings:
            raise self._too_many_strings(name)
        strings: list[str] = []
        text = _Text()

        def start(tag: str, _attrs: dict[str, str]) -> None:
            text.start(_local(tag))

        def end(tag: str) -> None:
            if text.end(_local(tag)) == "si":
                if len(strings) >= self.limits.strings:
                    raise self._too_many_strings(name)
                strings.append(text.pop())

        self._run(name, start, end, text.add)
        return strings

    def _too_many_strings(self, name: str) -> SpreadsheetError:
        return SpreadsheetError(
            f"文件中的文字过多（超过 {self.limits.strings} 条），请分批导入。",
            f"{name} holds more than {self.limits.strings} shared strings",
        )

    def _stream(self, sheet: str, reader: _SheetReader) -> Iterator[tuple[int, tuple]]:
        name = self._part(sheet)
        if name is None:
            raise SpreadsheetError(UNREADABLE, f"worksheet {sheet} is missing")
        for _ in self._parse(name, reader.start, reader.end, reader.text.add):
            yield from reader.done
            reader.done.clear()


def _local(tag: str) -> str:
    return tag.rsplit(" ", 1)[-1].lower()


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_STRING_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,40}:)?si[\s/>]")


class _Text:
    """Collects the text of <t> elements (not of phonetic runs, <rPh>) within one string."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.collecting = False
        self.phonetic = 0

    def start(self, local: str) -> None:
        if local == "rph":
            self.phonetic += 1
        elif local in ("t", "v"):
            self.collecting = not self.phonetic

    def end(self, local: str) -> str:
        if local == "rph":
            self.phonetic -= 1
        elif local in ("t", "v"):
            self.collecting = False
        return local

    def add(self, data: str) -> None:
        if self.collecting:
            self.length += len(data)
            if self.length > MAX_CELL_CHARS:
                raise SpreadsheetError(
                    f"有单元格超过 {MAX_CELL_CHARS} 字，请检查文件。",
                    f"a cell's text is longer than {MAX_CELL_CHARS} characters",
                )
            self.parts.append(data)

    def pop(self) -> str:
        value = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), "".join(self.parts))
        self.parts.clear()
        self.length = 0
        return value


class _SheetReader:
    """expat handlers for a worksheet; complete rows collect in ``done``."""

    def __init__(self, limits: _Limits, strings: list[str], dates: set[int], date1904: bool):
        self.limits = limits
        self.strings = strings
        self.dates = dates
        self.epoch = datetime(1904, 1, 1) if date1904 else None
        self.done: list[tuple[int, tuple]] = []
        self.text = _Text()
        self.row = 0
        self.cells: dict[int, Any] = {}
        self.column = 0
        self.kind = ""
        self.style = 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        local = _local(tag)
        if local == "row":
            number = int(attrs["r"]) if "r" in attrs else self.row + 1
            if number <= self.row:
                raise ValueError(f"row {number} comes after row {self.row}")
            if number > self.limits.rows + 1:
                raise SpreadsheetError(
                    f"一次最多导入 {self.limits.rows} 行（空行也计算在内），"
                    "本文件超过此数，请分批导入。",
                    f"the worksheet goes past row {self.limits.rows + 1}",
                )
            self.row, self.cells, self.column = number, {}, 0
        elif local == "c":
            ref = attrs.get("r")
            self.column = _column(ref) if ref else self.column + 1
            if self.column > MAX_EXCEL_COLUMN:
                raise ValueError(f"column {self.column} is past Excel's last")
            self.kind = attrs.get("t", "n")
            self.style = int(attrs.get("s", "0"))
        else:
            self.text.start(local)

    def end(self, tag: str) -> None:
        local = self.text.end(_local(tag))
        if local == "c":
            value = self._value(self.text.pop())
            if value is not None and value != "" and self.column <= self.limits.columns:
                self.cells[self.column] = value
        elif local == "row" and self.cells:
            width = max(self.cells)
            self.done.append((self.row, tuple(self.cells.get(i) for i in range(1, width + 1))))

    def _value(self, raw: str) -> Any:
        kind = self.kind
        if kind in ("inlineStr", "str", "e"):
            return raw
        if raw == "":
            return None
        if kind == "s":
            return self.strings[int(raw)]
        if kind == "b":
            return raw.strip() == "1"
        if kind == "d":
            return datetime.fromisoformat(raw.strip())
        number = float(raw)
        if self.style in self.dates:
            return _from_serial(number, self.epoch)
        return int(number) if re.fullmatch(r"\s*-?\d+\s*", raw) else number


def _column(ref: str) -> int:
    column = 0
    for char in ref:
        if not char.isalpha():
            break
        column = column * 26 + ord(char.upper()) - 64
        if column > MAX_EXCEL_COLUMN:
            raise ValueError(f"cell reference {ref[:12]!r} is past Excel's last column")
    if column == 0:
        raise ValueError(f"bad cell reference {ref[:12]!r}")
    return column


# Built-in number formats that are dates or times (ECMA-376 18.8.30; 27–36 and 50–58 are the
# Chinese, Japanese and Korean dates that WPS and Excel in those locales use).
_DATE_FORMAT_IDS = {*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)}
_NOT_DATE_PARTS = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.')


def _is_date_format(number_format: int, code: str | None) -> bool:
    if code is None:
        return number_format in _DATE_FORMAT_IDS
    return bool(re.search(r"[ymdhs]", _NOT_DATE_PARTS.sub("", code).lower()))


def _from_serial(serial: float, epoch: datetime | None) -> datetime:
    if epoch is None:  # the 1900 system counts a 29 February 1900 that never was
        epoch = datetime(1899, 12, 31) if serial < 60 else datetime(1899, 12, 30)
    return epoch + timedelta(days=serial)


# Exports.


def neutralise(value: Any) -> Any:
    """A value for a CSV cell: text that starts like a formula gets a leading apostrophe,
    which spreadsheet programs show as text (OWASP's advice for CSV)."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


class XlsxWriter:
    """A workbook written a row at a time (openpyxl's write-only mode), where text is always
    text: one that starts like a formula is stored as a string with Excel's quote prefix, so
    it stays text even when someone edits the cell, and comes back unchanged on import."""

    def __init__(self) -> None:
        # openpyxl takes ~27 MB in each process that imports it: only those that write.
        from openpyxl import Workbook

        self.workbook = Workbook(write_only=True)

    def sheet(self, title: str, widths: Iterable[float] = ()) -> Callable[[Iterable[Any]], None]:
        """A new sheet; returns the function that appends a row to it."""
        from openpyxl.utils import get_column_letter

        sheet = self.workbook.create_sheet(title)
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width

        def append(row: Iterable[Any]) -> None:
            sheet.append([_cell(sheet, value) for value in row])

        return append

    def getvalue(self) -> bytes:
        out = io.BytesIO()
        self.workbook.save(out)
        return out.getvalue()


# The C0 control characters XML 1.0 does not allow (all but tab, newline and return).
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _cell(sheet: Any, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    value = _NOT_IN_XML.sub("", value)
    if not value.startswith(FORMULA_TRIGGERS):
        return value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def guard_wagtail_exports() -> None:
    """Wagtail's own exports (site history, the page reports, redirects, form submissions)
    write CSV values as they are and leave xlsx text that starts with + - @ without the
    quote prefix; put them under the same rules as ours. Wagtail offers no hook for this,
    so its export mixin is wrapped once, at start-up (CoreConfig.ready)."""
    from wagtail.admin.views.mixins import SpreadsheetExportMixin

    if getattr(SpreadsheetExportMixin, "_weizhi_guarded", False):
        return
    preprocess = SpreadsheetExportMixin.preprocess_field_value
    generate_xlsx_row = SpreadsheetExportMixin.generate_xlsx_row

    def preprocess_field_value(self, field, value, export_format):
        value = preprocess(self, field, value, export_format)
        return neutralise(value) if export_format == self.FORMAT_CSV else value

    def guarded_xlsx_row(self, worksheet, row_dict, date_format=None):
        for cell in generate_xlsx_row(self, worksheet, row_dict, date_format=date_format):
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_TRIGGERS):
                cell.data_type = "s"
                cell.quotePrefix = True
            yield cell

    SpreadsheetExportMixin.preprocess_field_value = preprocess_field_value
    SpreadsheetExportMixin.generate_xlsx_row = guarded_xlsx_row
    SpreadsheetExportMixin._weizhi_guarded = True


def guard_wagtail_redirect_import() -> None:
    """Wagtail's redirect import reads an .xlsx with openpyxl, every row of it, in the web
    request: the same bombs as the roster's. Its reader is replaced by ours, with the same
    limits (a refused file shows Wagtail's own error message; the log says why)."""
    from wagtail.contrib.redirects.base_formats import XLSX, Dataset

    def create_dataset(self, data: bytes) -> Dataset:
        rows = [values for _, values in read_rows(io.BytesIO(data))]
        width = max((len(r) for r in rows), default=0)
        return Dataset(r + (None,) * (width - len(r)) for r in rows)

    XLSX.create_dataset = create_dataset
