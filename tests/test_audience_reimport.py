"""Importing a roster file over the roster: members already on it are updated after a preview
of every change, the members the file leaves out are kept or marked 不在册, all or nothing."""

import io
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from tests.test_audience_support import (  # noqa: F401
    PASSWORD,
    fast_passwords,
    good_row,
    member,
    secretary_of,
    tree,
    user_in,
    xlsx,
)
from weizhi.audience.models import AuditEntry, Branch, BranchKind, Member, PoliticalStatus, RoleTag
from weizhi.audience.roster import validate
from weizhi.audience.roster_import import ROSTER_MOVED

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


@pytest.fixture
def roster(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    t = tree()
    RoleTag.objects.create(name="政工干部")
    people = [
        member(t["first"], "1001", name="王芳", phone="13912345678", department="综合办公室"),
        member(t["first"], "1002", name="李明", phone="13800001111", department="财务部"),
        member(t["second"], "1003", name="陈静", phone="13700002222", department="人事部"),
        member(t["third"], "3001", name="刘强", phone="13600003333", department="生产部"),
    ]
    return t, people


@pytest.fixture
def admin_client(client, roster):
    client.login(username=user_in("系统管理员", "sysadmin").username, password=PASSWORD)
    return client


def row(number, name, branch, status="正式党员", phone="", department="", tags="", joined=""):
    return [name, number, phone, department, branch, status, tags, joined]


# The file: 王芳 moves to 第二党支部 and becomes 预备党员, 李明 gets a new phone and a tag,
# 陈静 a new department and a joining date; 刘强 is left out; 赵六 is new.
THREE_CHANGES = [
    row(
        "1001",
        "王芳",
        "第二党支部",
        status="预备党员",
        phone="13912345678",
        department="综合办公室",
    ),
    row("1002", "李明", "第一党支部", phone="13800009999", department="财务部", tags="政工干部"),
    row(
        "1003", "陈静", "第二党支部", phone="13700002222", department="党群部", joined="2015-07-01"
    ),
    row("1004", "赵六", "第三党支部", phone="13500004444", department="生产部"),
]


def upload(client, rows):
    return client.post(reverse("audience_import"), {"file": xlsx(rows)}, follow=True)


def confirm(client, missing=None):
    data = {"missing": missing} if missing else {}
    return client.post(reverse("audience_import_confirm"), data, follow=True)


def test_a_reimport_previews_three_members_changes_field_by_field_then_applies_them(
    admin_client, roster
):
    t, _ = roster
    response = upload(admin_client, THREE_CHANGES)
    job = response.context["job"]
    assert (job["new_count"], job["changed_count"], job["unchanged_count"]) == (1, 3, 0)
    assert job["missing_count"] == 1
    changes = {c["employee_number"]: c["fields"] for c in job["changes"]}
    assert changes["1001"] == [
        ["所属组织", "机关党委/综合党总支/第一党支部", "机关党委/综合党总支/第二党支部"],
        ["政治面貌", "正式党员", "预备党员"],
    ]
    assert changes["1002"] == [
        ["手机号", "13800001111", "13800009999"],
        ["角色标签", "（空）", "政工干部"],
    ]
    assert changes["1003"] == [["部门", "人事部", "党群部"], ["入党日期", "（空）", "2015-07-01"]]
    body = response.content.decode()
    assert "正式党员" in body and "probationary" not in body and ">full<" not in body
    assert "<th>所属组织</th>" in body and "机关党委/生产党总支/第三党支部" in body
    assert "确认导入（新增 1 人，变更 3 人）" in body
    # Nothing is written before the confirmation.
    assert Member.objects.get(employee_number="1001").status == PoliticalStatus.FULL
    assert not Member.objects.filter(employee_number="1004").exists()

    response = confirm(admin_client)
    assert "已导入：新增 1 名党员，更新 3 名党员。" in response.content.decode()
    wang = Member.objects.get(employee_number="1001")
    assert (wang.branch, wang.status) == (t["second"], PoliticalStatus.PROBATIONARY)
    assert [m.branch.name for m in wang.memberships.order_by("pk")] == ["第一党支部", "第二党支部"]
    li = Member.objects.get(employee_number="1002")
    assert li.phone == "13800009999" and [tag.name for tag in li.role_tags.all()] == ["政工干部"]
    chen = Member.objects.get(employee_number="1003")
    assert (chen.department, chen.joined_on) == ("党群部", date(2015, 7, 1))
    assert Member.objects.get(employee_number="3001").active  # kept: the default choice
    detail = AuditEntry.objects.get(action="import").detail
    assert (detail["created"], detail["updated"], detail["retired"]) == (1, 3, 0)
    profile = AuditEntry.objects.get(action="profile", member=wang).detail
    assert profile["changes"]["政治面貌"] == ["正式党员", "预备党员"]
    assert AuditEntry.objects.filter(action="move", member=wang).exists()


def test_members_left_out_of_the_file_can_be_marked_not_on_the_roster(admin_client, roster):
    body = upload(admin_client, THREE_CHANGES).content.decode()
    assert "名册中有、文件中没有的在册党员" in body and "刘强" in body
    assert 'value="retire"' in body and "标记为不在册" in body
    confirm(admin_client, missing="retire")
    liu = Member.objects.get(employee_number="3001")
    assert not liu.active and liu.left_on is not None
    assert AuditEntry.objects.get(action="profile", member=liu).detail["changes"] == {
        "在册": ["是", "否"]
    }
    assert AuditEntry.objects.get(action="import").detail["retired"] == 1


def test_members_left_out_of_the_file_are_kept_when_so_chosen(admin_client, roster):
    upload(admin_client, THREE_CHANGES)
    confirm(admin_client, missing="keep")
    liu = Member.objects.get(employee_number="3001")
    assert liu.active and liu.left_on is None
    assert not AuditEntry.objects.filter(action="profile", member=liu).exists()


def test_a_roster_changed_after_the_preview_is_refused_and_nothing_is_written(admin_client, roster):
    upload(admin_client, THREE_CHANGES)
    Member.objects.filter(employee_number="1003").update(department="工会")  # meanwhile
    response = confirm(admin_client)
    assert response.context["rejected"]
    assert [str(e) for e in response.context["shown_errors"]] == [ROSTER_MOVED]
    assert Member.objects.get(employee_number="1001").status == PoliticalStatus.FULL
    assert Member.objects.get(employee_number="1002").phone == "13800001111"
    assert not Member.objects.filter(employee_number="1004").exists()
    assert not AuditEntry.objects.filter(action="import").exists()


def test_a_bad_row_in_a_reimport_writes_none_of_the_changes(admin_client, roster):
    rows = [*THREE_CHANGES, row("1005", "孙七", "第九党支部")]
    response = upload(admin_client, rows)
    assert [str(e) for e in response.context["shown_errors"]] == [
        "第 6 行：所属组织“第九党支部”不存在"
    ]
    assert Member.objects.get(employee_number="1001").branch.name == "第一党支部"


def test_the_admin_export_with_masked_phones_imports_back_without_a_change(admin_client, roster):
    # 系统管理员 sees full phones; a user without that right exports masked ones.
    Member.objects.filter(employee_number="3001").update(active=False)
    export = admin_client.get(reverse("audience_member:index") + "?export=xlsx")
    wb = load_workbook(io.BytesIO(export.content))
    sheet = wb.worksheets[0]
    for cells in sheet.iter_rows(min_row=2):
        phone = cells[2].value
        cells[2].value = f"{phone[:3]}****{phone[-4:]}"
    out = io.BytesIO()
    wb.save(out)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = admin_client.post(
        reverse("audience_import"),
        {"file": SimpleUploadedFile("名册.xlsx", out.getvalue())},
        follow=True,
    )
    job = response.context["job"]
    assert (job["new_count"], job["changed_count"], job["unchanged_count"]) == (0, 0, 4)
    assert job["missing_count"] == 0
    assert "文件与名册完全一致，无需导入。" in response.content.decode()


def test_a_file_may_not_reach_members_or_branches_outside_the_importers_subtree(roster):
    t, _ = roster
    user, _ = secretary_of(t["general"])
    path = _saved(
        [
            row("3001", "刘强", "第三党支部"),  # a member outside 综合党总支
            row("1009", "新人", "第三党支部"),  # a branch outside it
            row("1001", "王芳", "第一党支部", phone="13912345678", department="综合办公室"),
        ]
    )
    errors = [str(e) for e in validate(path, user=user).errors]
    assert errors == [
        "第 2 行：工号 3001 的党员不在您管理的组织内，不能修改",
        "第 2 行：所属组织“第三党支部”不在您管理的范围内",
        "第 3 行：所属组织“第三党支部”不在您管理的范围内",
    ]


def _saved(rows):
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / "名册.xlsx"
    path.write_bytes(xlsx(rows).read())
    return path


# The template --------------------------------------------------------------------------------


def test_the_template_has_drop_downs_and_a_sample_row_naming_a_real_organisation(
    admin_client, roster, settings
):
    response = admin_client.get(reverse("audience_import_template"))
    wb = load_workbook(io.BytesIO(response.content))
    sheet = wb["名册"]
    sample = [c.value for c in sheet[2]]
    assert sample[4] == "机关党委/综合党总支/第一党支部"
    assert sample[5] == "正式党员" and sample[6] == "政工干部"
    last = settings.IMPORT_MAX_ROWS + 1
    rules = {str(dv.sqref): dv for dv in sheet.data_validations.dataValidation}
    status, branch, tags = rules[f"F2:F{last}"], rules[f"E2:E{last}"], rules[f"G2:G{last}"]
    assert {status.type, branch.type, tags.type} == {"list"}
    assert status.errorStyle == "stop" and status.showErrorMessage

    def listed(dv) -> list[str]:
        ref = dv.formula1.split("!")[1].replace("$", "")
        return [c.value for (c,) in wb["选项"][ref]]

    assert listed(status) == list(PoliticalStatus.labels)
    assert listed(branch) == [
        "机关党委",
        "机关党委/综合党总支",
        "机关党委/综合党总支/第一党支部",
        "机关党委/综合党总支/第二党支部",
        "机关党委/生产党总支",
        "机关党委/生产党总支/第三党支部",
    ]
    assert listed(tags) == ["政工干部"]
    assert wb["选项"].sheet_state == "hidden"


def test_the_template_without_any_tag_still_has_the_other_drop_downs(
    admin_client, roster, settings
):
    settings.IMPORT_MAX_ROWS = 5000
    RoleTag.objects.all().delete()
    response = admin_client.get(reverse("audience_import_template"))
    sheet = load_workbook(io.BytesIO(response.content))["名册"]
    assert sorted(str(dv.sqref) for dv in sheet.data_validations.dataValidation) == [
        "E2:E5001",
        "F2:F5001",
    ]


# Branch counts --------------------------------------------------------------------------------


def _counts(response) -> dict[str, tuple[int, int]]:
    return {b.name: (b.member_count, b.subtree_count) for b in response.context["object_list"]}


def test_the_branch_list_shows_direct_and_whole_subtree_counts_of_members_on_the_roster(
    admin_client, roster
):
    Member.objects.filter(employee_number="1002").update(active=False)  # 不在册: not counted
    response = admin_client.get(reverse("audience_branch:index"))
    body = response.content.decode()
    assert "直属人数" in body and "合计" in body and "Member count" not in body
    assert _counts(response) == {
        "机关党委": (0, 3),
        "综合党总支": (0, 2),
        "第一党支部": (1, 1),
        "第二党支部": (1, 1),
        "生产党总支": (0, 1),
        "第三党支部": (1, 1),
    }


def test_a_branch_secretary_sees_the_counts_of_their_own_subtree_only(client, roster):
    t, _ = roster
    user, _ = secretary_of(t["general"])  # adds 李书记 to 综合党总支
    client.login(username=user.username, password=PASSWORD)
    response = client.get(reverse("audience_branch:index"))
    assert _counts(response) == {
        "综合党总支": (1, 4),
        "第一党支部": (2, 2),
        "第二党支部": (1, 1),
    }


def test_the_branch_list_costs_the_same_queries_for_more_branches(admin_client, roster):
    t, _ = roster

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(reverse("audience_branch:index")).status_code == 200
        return len(ctx.captured_queries)

    before = queries()
    for i in range(8):
        branch = Branch.objects.create(name=f"新支部{i}", kind=BranchKind.BRANCH, parent=t["top"])
        member(branch, f"9{i:03d}")
    assert queries() == before
