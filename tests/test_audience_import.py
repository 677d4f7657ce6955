"""Roster import: every row checked with its row number, nothing written before confirming,
all or nothing after."""

from datetime import date

import pytest
from django.urls import reverse

from tests.test_audience_support import (  # noqa: F401
    PASSWORD,
    fast_passwords,
    good_row,
    member,
    tree,
    user_in,
    xlsx,
)
from weizhi.audience.models import AuditEntry, BranchKind, Member, RoleTag
from weizhi.audience.models import Branch as BranchModel
from weizhi.audience.roster_import import ROSTER_MOVED, import_roster

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


@pytest.fixture
def admin_client(client, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    tree()
    RoleTag.objects.create(name="政工干部")
    client.login(username=user_in("系统管理员", "sysadmin").username, password=PASSWORD)
    return client


def upload(client, rows, **kwargs):
    # The check runs as a task (inline in tests); the upload lands on its status page.
    return client.post(reverse("audience_import"), {"file": xlsx(rows, **kwargs)}, follow=True)


def confirm(client):
    return client.post(reverse("audience_import_confirm"), follow=True)


def errors_of(response) -> list[str]:
    return [str(e) for e in response.context["shown_errors"]]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["", "1001", "", "", "第一党支部", "正式党员", "", ""], "第 2 行：姓名不能为空"),
        (["赵六", "", "", "", "第一党支部", "正式党员", "", ""], "第 2 行：工号不能为空"),
        (["赵六", "10 01", "", "", "第一党支部", "正式党员", "", ""], "第 2 行：工号“10 01”只能是"),
        (["赵六", "1001", "", "", "第九党支部", "正式党员", "", ""], "所属组织“第九党支部”不存在"),
        (["赵六", "1001", "", "", "", "正式党员", "", ""], "第 2 行：所属组织不能为空"),
        (
            ["赵六", "1001", "1380000", "", "第一党支部", "正式党员", "", ""],
            "手机号“1380000”格式不正确",
        ),
        (["赵六", "1001", "", "", "第一党支部", "党员", "", ""], "政治面貌“党员”无效"),
        (["赵六", "1001", "", "", "第一党支部", "", "", ""], "第 2 行：政治面貌不能为空"),
        (["赵六", "1001", "", "", "第一党支部", "群众", "宣传员", ""], "角色标签“宣传员”不存在"),
        (
            ["赵六", "1001", "", "", "第一党支部", "群众", "", "2018-13-01"],
            "入党日期“2018-13-01”无法识别",
        ),
        (["赵" * 31, "1001", "", "", "第一党支部", "群众", "", ""], "第 2 行：姓名超过 30 字"),
    ],
)
def test_each_kind_of_bad_row_is_reported_with_its_row_number(admin_client, row, message):
    response = upload(admin_client, [row])
    assert response.status_code == 200
    assert any(e.startswith(message) or message in e for e in errors_of(response)), errors_of(
        response
    )
    assert Member.objects.filter(employee_number="1001").count() == 0


def test_a_duplicate_employee_number_within_the_file_names_the_first_row(admin_client):
    response = upload(admin_client, [good_row("1001"), good_row("1002"), good_row("1001")])
    assert errors_of(response) == ["第 4 行：工号 1001 与第 2 行重复"]


def test_an_employee_number_already_on_the_roster_is_an_update_not_an_error(admin_client):
    member(BranchModel.objects.get(name="第二党支部"), "1001")
    response = upload(admin_client, [good_row("1001")])
    assert errors_of(response) == []
    job = response.context["job"]
    assert (job["new_count"], job["changed_count"]) == (0, 1)


def test_a_branch_name_that_is_not_unique_asks_for_the_full_path(admin_client):
    production = BranchModel.objects.get(name="生产党总支")
    BranchModel.objects.create(name="第一党支部", kind=BranchKind.BRANCH, parent=production)
    response = upload(admin_client, [good_row("1001")])
    assert "有 2 个同名组织，请写完整路径" in errors_of(response)[0]
    response = upload(admin_client, [good_row("1001", branch="机关党委/生产党总支/第一党支部")])
    assert errors_of(response) == []


def test_a_file_without_the_required_columns_is_refused_before_any_row(admin_client):
    response = upload(admin_client, [["赵六", "1001"]], heading=["姓名", "工号"])
    assert errors_of(response) == ["缺少必需的列：所属组织、政治面貌"]


def test_a_file_that_is_not_a_spreadsheet_is_refused_in_chinese(admin_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("名册.xlsx", b"not a zip")
    response = admin_client.post(reverse("audience_import"), {"file": bad}, follow=True)
    assert errors_of(response) == ["无法读取文件，请上传用模板填写的 .xlsx 文件。"]
    other = SimpleUploadedFile("名册.csv", b"a,b")
    response = admin_client.post(reverse("audience_import"), {"file": other})
    assert "请上传 .xlsx 格式的文件" in response.content.decode()


def test_the_preview_writes_nothing_and_the_confirmation_writes_every_row(admin_client):
    rows = [good_row(str(1000 + i), name=f"成员{i}") for i in range(30)]
    rows[0][6] = "政工干部"
    rows[1][7] = date(2020, 5, 4)
    response = upload(admin_client, rows)
    assert response.context["job"]["ok"]
    assert len(response.context["preview"]) == 20
    assert Member.objects.count() == 0

    response = confirm(admin_client)
    assert response.redirect_chain[-1][0] == reverse("audience_member:index")
    assert "已导入：新增 30 名党员" in response.content.decode()
    assert Member.objects.count() == 30
    first = Member.objects.get(employee_number="1000")
    assert [t.name for t in first.role_tags.all()] == ["政工干部"]
    assert first.memberships.get().branch.name == "第一党支部"
    assert Member.objects.get(employee_number="1001").joined_on == date(2020, 5, 4)
    detail = AuditEntry.objects.get(action="import").detail
    assert (detail["rows"], detail["created"], detail["updated"]) == (30, 30, 0)


def test_a_confirmation_that_finds_the_roster_changed_writes_nothing(admin_client):
    upload(admin_client, [good_row("1001"), good_row("1002")])
    member(BranchModel.objects.get(name="第二党支部"), "1002")  # someone added it meanwhile
    response = confirm(admin_client)
    assert response.context["rejected"]
    assert errors_of(response) == [ROSTER_MOVED]
    assert not Member.objects.filter(employee_number="1001").exists()


def test_a_failure_halfway_through_the_write_rolls_every_row_back(admin_client, monkeypatch):
    from weizhi.audience.models import BranchMembership

    upload(admin_client, [good_row("1001"), good_row("1002")])

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(BranchMembership.objects, "bulk_create", explode)
    response = confirm(admin_client)
    assert "处理文件时出错，没有写入任何数据" in response.content.decode()
    assert Member.objects.count() == 0


def test_confirming_without_an_upload_or_with_someone_elses_file_does_nothing(admin_client):
    from django.test import Client

    response = admin_client.post(reverse("audience_import_confirm"), follow=True)
    assert "没有待确认的导入文件" in response.content.decode()
    upload(admin_client, [good_row("1001")])
    other = Client()
    other.login(username=user_in("系统管理员", "other").username, password=PASSWORD)
    other.post(reverse("audience_import_confirm"))
    assert Member.objects.count() == 0


def test_only_those_allowed_to_import_see_the_import_pages(client, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    tree()
    client.login(username=user_in("支部书记", "sec").username, password=PASSWORD)
    # Wagtail answers a refused admin page by sending the user back to the dashboard.
    for name in ("audience_import", "audience_import_template"):
        response = client.get(reverse(name))
        assert (response.status_code, response.url) == (302, "/admin/")


def test_the_template_downloads_with_its_explanations_and_imports_back(admin_client, tmp_path):
    from openpyxl import load_workbook

    response = admin_client.get(reverse("audience_import_template"))
    path = tmp_path / "template.xlsx"
    path.write_bytes(response.content)
    wb = load_workbook(path)
    assert wb.sheetnames == ["名册", "填写说明", "组织与标签", "选项"]
    assert wb["选项"].sheet_state == "hidden"
    assert next(wb["名册"].iter_rows(values_only=True))[0] == "姓名*"
    assert "机关党委/综合党总支/第一党支部" in [
        r[0] for r in wb["组织与标签"].iter_rows(values_only=True)
    ]
    # The example row is valid as it stands.
    assert import_roster(path, by=None).created == 1


def test_the_check_runs_as_a_task_and_the_status_page_waits_for_it(admin_client, settings):
    from weizhi.audience.roster_tasks import check_roster_upload

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    response = upload(admin_client, [good_row("1001")])
    assert response.redirect_chain == [(reverse("audience_import_status"), 302)]
    body = response.content.decode()
    assert "正在逐行检查文件" in body and '<meta http-equiv="refresh" content="2">' in body
    assert "shown_errors" not in response.context

    token = admin_client.session["audience.import_token"]
    user_id = int(admin_client.session["_auth_user_id"])
    check_roster_upload.call(user_id, token)  # what a task worker does
    response = admin_client.get(reverse("audience_import_status"))
    assert response.context["job"]["ok"] and response.context["job"]["rows"] == 1
    assert "确认导入（新增 1 人" in response.content.decode()


def test_an_upload_over_the_size_limit_is_refused_in_chinese_before_it_is_stored(
    admin_client, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.IMPORT_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("名册.xlsx", b"x" * (1024 * 1024 + 200 * 1024))
    response = admin_client.post(reverse("audience_import"), {"file": big})
    assert response.status_code == 200
    assert "文件超过 1 MB，请分批导入。" in response.content.decode()
    folder = tmp_path / "roster-imports"
    assert not folder.exists() or not list(folder.iterdir())


def test_the_upload_form_still_checks_its_csrf_token(admin_client):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.cookies = admin_client.cookies
    response = client.post(reverse("audience_import"), {"file": xlsx([good_row("1001")])})
    assert response.status_code == 403
