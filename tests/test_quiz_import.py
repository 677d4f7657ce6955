"""Importing the question bank: the messy-but-valid forms real files take, every refusal
named with its row and column, duplicates skipped, all-or-nothing, and the command's JSON."""

import io
import json

import pytest
from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from weizhi.quiz import bank
from weizhi.quiz.models import Question

pytestmark = pytest.mark.django_db
H = bank.HEADINGS


def row(kind, stem, options=(), answer="", explanation="", score="", difficulty="", category=""):
    opts = list(options) + [""] * (8 - len(options))
    return [kind, stem, *opts, answer, explanation, score, difficulty, category]


def write_xlsx(tmp_path, rows, heading=None, before=(), name="题库.xlsx", merge=None):
    wb = Workbook()
    sheet = wb.active
    for r in before:
        sheet.append(r)
    sheet.append(heading or H)
    for r in rows:
        sheet.append(r)
    if merge:
        sheet.merge_cells(merge)
    path = tmp_path / name
    wb.save(path)
    return path


def write_csv(tmp_path, rows, encoding="utf-8-sig"):
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(H)
    writer.writerows(rows)
    path = tmp_path / "题库.csv"
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def judged(path):
    return {r.row: r for r in bank.check(path).rows}


ABCD = ("甲", "乙", "丙", "丁")
INCOMPLETE = "选项不完整：至少两个选项，且中间不能有空选项"


@pytest.mark.parametrize("typed", ["AB", "A,B", "A、B", "a b", "ＡＢ", " A B "])
def test_multiple_choice_answers_in_every_usual_form(tmp_path, typed):
    path = write_xlsx(tmp_path, [row("多选题", "哪些对？", ABCD, typed)])
    r = judged(path)[2]
    assert r.ok and r.answer == "AB"


@pytest.mark.parametrize("typed", ["对", "错", "正确", "错误", "√", "×", "T", "F"])
def test_judge_answers_in_every_usual_form(tmp_path, typed):
    r = judged(write_xlsx(tmp_path, [row("判断题", "是吗？", answer=typed)]))[2]
    assert r.ok and r.answer in ("对", "错")


def test_spaces_full_width_letters_numbers_as_text_and_blank_rows(tmp_path):
    rows = [
        row(
            " 单选题 ",
            "  题干有空格  ",
            (" 1921 ", 1922, "1949"),
            "Ｂ",
            score="2",
            difficulty=" 中 ",
        ),
        [None] * 5,
        row("填空", "党的根本组织原则是____。", answer="民主集中制｜民主集中", score=3.0),
    ]
    result = judged(write_xlsx(tmp_path, rows))
    assert set(result) == {2, 4}  # the blank row is skipped, rows keep the sheet's numbers
    assert result[2].ok and result[2].answer == "B"
    assert result[2].fields["options"] == ["1921", "1922", "1949"]
    assert result[2].fields["stem"] == "题干有空格" and result[2].fields["score"] == 2
    assert result[2].fields["difficulty"] == 2
    assert result[4].ok and result[4].answer == "民主集中制|民主集中"
    assert result[4].fields["score"] == 3


def test_a_merged_title_above_and_a_merged_options_heading(tmp_path):
    heading = ["题型", "题干", "选项", *[None] * 7, "答案", "解析", "分值", "难度", "分类"]
    path = write_xlsx(
        tmp_path,
        [row("单选题", "问？", ABCD, "c")],
        heading=heading,
        before=[["党章知识题库（2026 版）"]],
        merge="A1:O1",
    )
    result = judged(path)
    assert result[3].ok and result[3].answer == "C"
    assert result[3].fields["options"] == list(ABCD)


def test_a_two_row_heading_with_letters_under_a_merged_options_cell(tmp_path):
    heading = ["题型", "题干", "选项", *[None] * 7, "答案", "解析", "分值", "难度", "分类"]
    sub = [None, None, *"ABCDEFGH"]
    path = write_xlsx(tmp_path, [sub, row("单选题", "问？", ABCD, "D")], heading=heading)
    result = judged(path)
    assert list(result) == [3] and result[3].answer == "D"


@pytest.mark.parametrize(
    "bad,reason,column",
    [
        (row("单选题", "  ", ABCD, "A"), "题干为空", "题干"),
        (row("简答题", "问？", ABCD, "A"), "未知题型", "题型"),
        (row("单选题", "问？", ABCD, "AB"), "单选题只能有一个答案", "答案"),
        (row("判断题", "问？", answer="也许"), "判断题答案无效", "答案"),
        (row("单选题", "问？", ABCD, "E"), "答案不在选项中", "答案"),
        (row("单选题", "问？", ABCD, "5"), "答案不在选项中", "答案"),
        (row("单选题", "问？", ABCD, ""), "答案为空", "答案"),
        (row("判断题", "问？"), "答案为空", "答案"),
        (row("填空题", "问____？"), "答案为空", "答案"),
        (row("单选题", "问？", ("甲",), "A"), INCOMPLETE, "选项"),
        (row("单选题", "问？", ("甲", "", "丙"), "A"), INCOMPLETE, "选项"),
        (row("多选题", "问？", ABCD, "A"), "多选题至少有两个答案", "答案"),
        (row("单选题", "问？", ABCD, "A", score="两分"), "分值无效", "分值"),
        (row("单选题", "问？", ABCD, "A", difficulty="极难"), "难度无效", "难度"),
    ],
)  # fmt: skip
def test_each_refusal_names_its_reason_row_and_column(tmp_path, bad, reason, column):
    rows = [row("判断题", "好的一行", answer="对"), bad]
    r = judged(write_xlsx(tmp_path, rows))[3]
    assert not r.ok and r.reason == reason and r.column == column
    assert r.message == f"第 3 行“{column}”列：{reason}"


def test_one_refused_row_imports_nothing(tmp_path):
    path = write_xlsx(tmp_path, [row("判断题", "好", answer="对"), row("判断题", "坏", answer="?")])
    checked = bank.check(path)
    with pytest.raises(ValueError):
        bank.apply(checked)
    assert not Question.objects.exists()


def test_duplicates_of_the_bank_and_within_the_file_are_reported_and_skipped(tmp_path):
    Question.objects.create(kind="judge", stem="已有的 题目", answer="对")
    rows = [
        row("判断题", "已有的题目", answer="对"),
        row("判断题", "新题", answer="错"),
        row("判断题", "新  题", answer="错"),
    ]
    checked = bank.check(write_xlsx(tmp_path, rows))
    assert [r.row for r in checked.duplicates] == [2, 4]
    assert checked.duplicates[1].column == "与第 3 行题干相同"
    assert not checked.refused
    assert bank.apply(checked) == 1
    assert Question.objects.count() == 2


def test_csv_in_utf8_and_in_gbk(tmp_path):
    rows = [row("单选题", "问？", ABCD, "A,")]
    for encoding in ("utf-8-sig", "gbk"):
        checked = bank.check(write_csv(tmp_path, rows, encoding))
        assert checked.rows[0].ok and checked.rows[0].answer == "A"


def test_a_file_without_a_heading_or_of_another_kind_is_refused(tmp_path):
    with pytest.raises(bank.FileRefused, match="找不到标题行"):
        bank.check(write_xlsx(tmp_path, [["x"]] * 6, heading=["甲", "乙"]))
    path = tmp_path / "题库.txt"
    path.write_text("x")
    with pytest.raises(bank.FileRefused, match="只能导入"):
        bank.check(path)
    broken = tmp_path / "坏.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(bank.FileRefused, match="无法读取"):
        bank.check(broken)


def test_the_command_prints_exactly_the_json_contract(tmp_path, capsys):
    rows = [
        row("单选题", "问一？", ABCD, "b"),
        row("多选题", "问二？", ABCD, "D、A"),
        [None],
        row("单选题", "", ABCD, "A"),
        row("判断题", "问三？", answer="√"),
        row("填空题", "问四____，____", answer="甲|乙;丙"),
    ]
    path = write_xlsx(tmp_path, rows)
    with pytest.raises(SystemExit) as exit_:
        call_command("import_questions", str(path), "--json")
    assert exit_.value.code == 1
    out = json.loads(capsys.readouterr().out)
    assert out == {
        "rows": [
            {"row": 2, "ok": True, "type": "单选题", "answer": "B"},
            {"row": 3, "ok": True, "type": "多选题", "answer": "AD"},
            {"row": 5, "ok": False, "reason": "题干为空"},
            {"row": 6, "ok": True, "type": "判断题", "answer": "对"},
            {"row": 7, "ok": True, "type": "填空题", "answer": "甲|乙;丙"},
        ]
    }
    with pytest.raises(SystemExit):
        call_command("import_questions", str(path), "--apply", "--json")
    assert not Question.objects.exists()


def test_the_command_applies_a_clean_file(tmp_path, capsys):
    path = write_xlsx(tmp_path, [row("单选题", "问一？", ABCD, "b", "因为", 2, "难", "党章")])
    call_command("import_questions", str(path))
    assert not Question.objects.exists()
    call_command("import_questions", str(path), "--apply")
    assert "已导入 1 题" in capsys.readouterr().out
    q = Question.objects.get()
    assert (q.kind, q.answer, q.score, q.difficulty, q.category) == ("single", "B", 2, 3, "党章")
    assert q.explanation == "因为" and q.source == "导入：题库.xlsx"


def test_an_export_imports_back_and_the_template_has_drop_downs(tmp_path):
    Question.objects.create(
        kind="multiple", stem="=1+1 可以吗", options=["甲", "乙", "丙"], answer="AC"
    )
    Question.objects.create(kind="blank", stem="填____", answer="一|壹")
    path = tmp_path / "导出.xlsx"
    path.write_bytes(bank.export(Question.objects.all()))
    sheet = load_workbook(path).active
    assert sheet["B2"].value == "=1+1 可以吗" and sheet["B2"].data_type == "s"
    Question.objects.all().delete()
    checked = bank.check(path)
    assert [(r.kind, r.answer) for r in checked.rows] == [("multiple", "AC"), ("blank", "一|壹")]
    template = load_workbook(io.BytesIO(bank.template())).active
    assert [c.value for c in template[1]] == H
    lists = [v.formula1 for v in template.data_validations.dataValidation]
    assert '"单选题,多选题,判断题,填空题"' in lists and '"易,中,难"' in lists
