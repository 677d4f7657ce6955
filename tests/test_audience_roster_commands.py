"""`manage.py import_roster FILE [--apply]` and `manage.py export_roster FILE`, for scripted use:
the same checks and layout as the admin's import and export."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from tests.test_audience_support import member, tree, xlsx
from weizhi.audience.models import AuditEntry, Member, PoliticalStatus, RoleTag

pytestmark = pytest.mark.django_db


@pytest.fixture
def roster():
    t = tree()
    tag = RoleTag.objects.create(name="政工干部")
    wang = member(t["first"], "1001", name="王芳", phone="13912345678", department="综合办公室")
    wang.role_tags.add(tag)
    member(t["third"], "3001", name="刘强", phone="", joined_on=date(2010, 7, 1))
    member(t["second"], "2001", name="陈静", status=PoliticalStatus.MASSES, active=False)
    return t


def saved(tmp_path, rows, name="名册.xlsx"):
    path = tmp_path / name
    path.write_bytes(xlsx(rows).read())
    return path


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


ROWS = [
    ["王芳", "1001", "13912345678", "党群部", "第一党支部", "正式党员", "政工干部", ""],
    ["赵六", "1002", "13800001111", "财务部", "第二党支部", "预备党员", "", "2024-07-01"],
]


def test_import_without_apply_prints_the_preview_and_writes_nothing(roster, tmp_path):
    out, _ = run("import_roster", str(saved(tmp_path, ROWS)))
    assert "新增 1 人：" in out
    assert "第 3 行 赵六（1002） 机关党委/综合党总支/第二党支部 预备党员" in out
    assert "第 2 行 王芳（1001）：部门 综合办公室 → 党群部" in out
    assert "未变 0 人。" in out
    assert "名册中有、文件中没有的在册党员 1 人（保留，不做改动）" in out and "刘强" in out
    assert "没有写入任何数据" in out
    assert not Member.objects.filter(employee_number="1002").exists()
    assert Member.objects.get(employee_number="1001").department == "综合办公室"
    assert not AuditEntry.objects.filter(action="import").exists()


def test_import_with_apply_writes_the_changes(roster, tmp_path):
    out, _ = run("import_roster", str(saved(tmp_path, ROWS)), "--apply")
    assert "已写入：新增 1 人，更新 1 人，未变 0 人，标记为不在册 0 人。" in out
    assert Member.objects.get(employee_number="1001").department == "党群部"
    assert Member.objects.get(employee_number="1002").joined_on == date(2024, 7, 1)
    assert Member.objects.get(employee_number="3001").active


def test_import_with_apply_may_mark_the_members_left_out_not_on_the_roster(roster, tmp_path):
    run("import_roster", str(saved(tmp_path, ROWS)), "--apply", "--missing", "retire")
    assert not Member.objects.get(employee_number="3001").active


def test_import_with_errors_names_the_rows_exits_non_zero_and_writes_nothing(roster, tmp_path):
    rows = [*ROWS, ["孙七", "1003", "12345", "", "第九党支部", "党员", "", ""]]
    err = StringIO()
    with pytest.raises(CommandError, match="发现 3 处错误，没有写入任何数据。"):
        call_command("import_roster", str(saved(tmp_path, rows)), "--apply", stderr=err)
    assert "第 4 行：手机号“12345”格式不正确" in err.getvalue()
    assert "第 4 行：所属组织“第九党支部”不存在" in err.getvalue()
    assert not Member.objects.filter(employee_number="1002").exists()
    assert Member.objects.get(employee_number="1001").department == "综合办公室"


def test_import_of_a_missing_file_says_so_in_chinese(roster, tmp_path):
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("import_roster", str(tmp_path / "nope.xlsx"))


def test_export_writes_the_admin_layout_with_every_member(roster, tmp_path):
    path = tmp_path / "out.xlsx"
    out, _ = run("export_roster", str(path))
    assert "已导出 3 名党员" in out
    rows = list(load_workbook(path).worksheets[0].iter_rows(values_only=True))
    assert rows[0] == (
        "姓名",
        "工号",
        "手机号",
        "部门",
        "所属组织",
        "政治面貌",
        "角色标签",
        "入党日期",
        "在册",
    )
    wang = next(r for r in rows if r[1] == "1001")
    assert wang[2] == "13912345678" and wang[4] == "机关党委/综合党总支/第一党支部"
    assert wang[5] == "正式党员" and wang[6] == "政工干部"
    assert next(r for r in rows if r[1] == "2001")[8] == "否"
    assert AuditEntry.objects.get(action="export").detail["rows"] == 3


def test_export_then_import_with_apply_changes_nothing(roster, tmp_path):
    path = tmp_path / "round.xlsx"
    run("export_roster", str(path))
    before = list(Member.objects.order_by("pk").values())
    tags_before = list(Member.role_tags.through.objects.values_list("member_id", "roletag_id"))
    out, _ = run("import_roster", str(path), "--apply", "--missing", "retire")
    assert "新增 0 人" in out and "变更 0 人" in out and "未变 3 人" in out
    assert "已写入：新增 0 人，更新 0 人，未变 3 人，标记为不在册 0 人。" in out
    assert list(Member.objects.order_by("pk").values()) == before
    assert (
        list(Member.role_tags.through.objects.values_list("member_id", "roletag_id")) == tags_before
    )


def test_export_refuses_a_name_that_is_not_xlsx(roster, tmp_path):
    with pytest.raises(CommandError, match=r"须以 \.xlsx 结尾"):
        call_command("export_roster", str(tmp_path / "out.csv"))
