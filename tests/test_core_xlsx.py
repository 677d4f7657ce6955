"""Spreadsheets in and out (weizhi/core/xlsx.py): the reader's limits hold while it streams,
hostile files are refused in Chinese, and exported text never becomes a formula."""

import io
import json
import subprocess
import sys
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from tests.xlsx_bombs import HEADING, SHEET, many_rows, many_strings
from weizhi.core.xlsx import SpreadsheetError, XlsxWriter, neutralise, read_rows

ROOT = Path(__file__).resolve().parent.parent


def workbook(rows: list[list]) -> io.BytesIO:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def refusal(source, **limits) -> SpreadsheetError:
    with pytest.raises(SpreadsheetError) as caught:
        list(read_rows(source, **limits))
    return caught.value


def test_rows_come_with_their_excel_row_numbers_and_values_of_their_type():
    source = workbook(
        [
            ["姓名", "工号", "入党日期", "在册", "分数"],
            ["张三", 100001, date(2018, 7, 1), True, 1.5],
            [],
            ["李四", "A-7", datetime(2020, 1, 2, 3, 4), False, -3],
        ]
    )
    assert list(read_rows(source)) == [
        (1, ("姓名", "工号", "入党日期", "在册", "分数")),
        (2, ("张三", 100001, datetime(2018, 7, 1), True, 1.5)),
        (4, ("李四", "A-7", datetime(2020, 1, 2, 3, 4), False, -3)),
    ]


def test_shared_strings_are_read_as_excel_writes_them(tmp_path):
    rows = list(read_rows(many_strings(tmp_path / "few.xlsx", strings=10)))
    assert rows == [
        (1, tuple(HEADING)),
        (2, ("张三", "100001", None, None, "第一党支部", "正式党员")),
    ]


def test_reading_stops_at_the_first_row_past_the_limit(tmp_path):
    path = many_rows(tmp_path / "rows.xlsx", rows=3000)
    assert len(list(read_rows(path, max_rows=3000))) == 3001
    error = refusal(path, max_rows=2999)
    assert error.message == "一次最多导入 2999 行（空行也计算在内），本文件超过此数，请分批导入。"
    assert str(error) == "the worksheet goes past row 3000"


def test_a_file_that_declares_more_than_the_limit_unpacked_is_refused_before_parsing(tmp_path):
    path = many_rows(tmp_path / "rows.xlsx", rows=3000)
    error = refusal(path, max_bytes=50_000)
    assert error.message.startswith("文件解压后超过")
    assert "declare" in str(error)


def test_a_part_that_unpacks_to_more_than_it_declares_is_refused(tmp_path):
    data = bytearray(workbook([["名字"]] + [[f"成员{i}"] for i in range(3000)]).getvalue())
    # Lower the unpacked size the central directory declares for the sheet: zip stops at the
    # declared size, the checksum then fails, and the file is refused as unreadable.
    header = data.find(b"PK\x01\x02")
    while data[header + 46 : header + 46 + len(SHEET)] != SHEET.encode():
        header = data.find(b"PK\x01\x02", header + 4)
    data[header + 24 : header + 28] = (1000).to_bytes(4, "little")
    path = tmp_path / "liar.xlsx"
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo(SHEET).file_size == 1000
    assert refusal(path).message == "无法读取文件，请上传用模板填写的 .xlsx 文件。"


def test_a_shared_strings_table_past_the_limit_is_refused_before_it_is_parsed(tmp_path):
    path = many_strings(tmp_path / "strings.xlsx", strings=50_000)
    error = refusal(path, max_strings=20_000)
    assert error.message == "文件中的文字过多（超过 20000 条），请分批导入。"
    assert len(list(read_rows(path, max_strings=50_100))) == 2


def test_a_document_type_declaration_is_refused(tmp_path):
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row><c t="inlineStr"><is><t>&b;</t></is></c></row></sheetData></worksheet>'
    )
    path = tmp_path / "dtd.xlsx"
    with zipfile.ZipFile(workbook([["x"]])) as src, zipfile.ZipFile(path, "w") as out:
        for info in src.infolist():
            out.writestr(info, laughs if info.filename == SHEET else src.read(info))
    assert refusal(path).message == "无法读取文件，请上传用模板填写的 .xlsx 文件。"


def test_a_file_that_is_not_a_spreadsheet_is_refused_in_chinese():
    assert (
        refusal(io.BytesIO(b"not a zip")).message == "无法读取文件，请上传用模板填写的 .xlsx 文件。"
    )


def test_cells_beyond_the_column_limit_are_ignored():
    source = workbook([["a", "b", "c", "d"]])
    assert list(read_rows(source, max_columns=2)) == [(1, ("a", "b"))]


# Benchmark-style: each bomb runs the roster's reader in a child process, which reports its
# own time and peak memory around the read (so pytest's own memory is not counted). The bound
# is on CPU time, which other work on a busy machine does not inflate.
MEASURE = """
import json, os, resource, sys, time
os.environ["DJANGO_SETTINGS_MODULE"] = "weizhi.settings"
import django
django.setup()
from pathlib import Path
from weizhi.audience.roster import read_rows

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start, start_cpu = time.perf_counter(), cpu()
_, body, errors = read_rows(Path(sys.argv[1]))
seconds, cpu_seconds = time.perf_counter() - start, cpu() - start_cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds,
                  "extra_mb": (peak - before) / 1024,
                  "rows": len(body), "errors": [str(e) for e in errors]}))
"""


@pytest.mark.parametrize(
    ("bomb", "message"),
    [
        (many_rows, "一次最多导入 20000 行"),  # 1,000,000 rows of one cell, 68 KB
        (many_strings, "文件解压后超过 50 MB"),  # 10,000,000 shared strings, 410 KB
    ],
)
def test_each_import_bomb_is_refused_in_under_two_seconds_and_50_mb(tmp_path, bomb, message):
    path = bomb(tmp_path / "bomb.xlsx")
    assert path.stat().st_size < 500_000
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "WEIZHI_VAR_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["rows"] == 0 and result["errors"][0].startswith(message), result
    assert result["cpu_seconds"] < 2, result
    assert result["extra_mb"] < 50, result


# Exports.


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_text_that_starts_like_a_formula_stays_text_in_an_xlsx_export(text):
    out = XlsxWriter()
    out.sheet("名册")(["普通", text, 7])
    cells = next(load_workbook(io.BytesIO(out.getvalue())).worksheets[0].iter_rows())
    # openpyxl writes through lxml (installed for trafilatura), which keeps a CR as &#13;.
    assert [c.value for c in cells] == ["普通", text, 7]
    assert cells[1].data_type == "s" and cells[1].quotePrefix
    assert not cells[0].quotePrefix


def test_text_that_starts_like_a_formula_gets_an_apostrophe_in_csv():
    assert [neutralise(v) for v in ["=1+1", "@x", "-2", "张三", 5, None]] == [
        "'=1+1",
        "'@x",
        "'-2",
        "张三",
        5,
        None,
    ]


def test_control_characters_are_dropped_from_an_export_rather_than_failing_it():
    out = XlsxWriter()
    out.sheet("名册")(["张\x01三"])
    rows = list(load_workbook(io.BytesIO(out.getvalue())).worksheets[0].iter_rows(values_only=True))
    assert rows == [("张三",)]


@pytest.mark.django_db
@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_wagtails_site_history_export_keeps_a_formula_like_title_as_text(client, export):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from tests import factories

    factories.site_home()
    factories.article(title='=HYPERLINK("http://x","点我")')
    factories.article(title="@SUM(A1)")
    admin = get_user_model().objects.create_superuser("root", password="p4ss-测试")
    client.force_login(admin)
    response = client.get(reverse("wagtailadmin_reports:site_history") + f"?export={export}")
    assert response.status_code == 200
    if export == "csv":
        body = b"".join(response.streaming_content).decode()
        assert "'=HYPERLINK" in body and "'@SUM(A1)" in body
        assert ",=HYPERLINK" not in body and ",@SUM" not in body
    else:
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
        labels = {row[1].value: row[1] for row in sheet.iter_rows(min_row=2)}
        for title in ('=HYPERLINK("http://x","点我")', "@SUM(A1)"):
            assert labels[title].data_type == "s" and labels[title].quotePrefix, title


@pytest.mark.django_db
def test_wagtails_redirect_import_reads_xlsx_within_the_same_limits(client, settings, tmp_path):
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    settings.IMPORT_MAX_ROWS = 100
    admin = get_user_model().objects.create_superuser("root", password="p4ss-测试")
    client.force_login(admin)
    url = reverse("wagtailredirects:start_import")
    good = workbook([["from", "to"], ["/old", "/new"]]).getvalue()
    response = client.post(url, {"import_file": SimpleUploadedFile("r.xlsx", good)})
    assert response.status_code == 200 and "/old" in response.content.decode()

    bomb = many_rows(tmp_path / "bomb.xlsx", rows=100_000).read_bytes()
    response = client.post(url, {"import_file": SimpleUploadedFile("r.xlsx", bomb)}, follow=True)
    assert "SpreadsheetError" in response.content.decode()
