"""On a laptop: the office re-imports its roster file, sees three members' changes field by
field in Chinese, chooses what happens to a member left out of the file, and confirms."""

import pytest

from tests.browser.conftest import screenshot
from tests.test_audience_support import PASSWORD, member, tree, user_in, xlsx
from weizhi.audience.models import Member, PoliticalStatus

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_office_previews_a_reimport_of_three_members_and_confirms_it(
    live_server, desktop, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    t = tree()
    member(t["first"], "1001", name="王芳", phone="13912345678")
    member(t["first"], "1002", name="李明", phone="13800001111")
    member(t["second"], "1003", name="陈静", phone="13700002222", department="人事部")
    member(t["third"], "3001", name="刘强", phone="13600003333")
    user_in("系统管理员", "sysadmin")
    path = tmp_path / "名册.xlsx"
    path.write_bytes(
        xlsx(
            [
                ["王芳", "1001", "13912345678", "", "第二党支部", "预备党员", "", ""],
                ["李明", "1002", "13800009999", "", "第一党支部", "正式党员", "", ""],
                ["陈静", "1003", "13700002222", "党群部", "第二党支部", "正式党员", "", ""],
            ]
        ).read()
    )

    desktop.goto(live_server.url + "/admin/login/")
    desktop.fill("#id_username", "sysadmin")
    desktop.fill("#id_password", PASSWORD)
    desktop.click("button[type=submit]")
    desktop.wait_for_url(live_server.url + "/admin/")
    desktop.goto(live_server.url + "/admin/audience/import/")
    desktop.set_input_files("input[type=file]", str(path))
    desktop.get_by_role("button", name="上传并检查").click()
    desktop.wait_for_selector("#roster-summary")
    summary = desktop.locator("#roster-summary").inner_text()
    assert "新增 0 人，变更 3 人，未变 0 人" in summary
    changes = desktop.locator("table.roster-changes").inner_text()
    assert "所属组织：机关党委/综合党总支/第一党支部 → 机关党委/综合党总支/第二党支部" in changes
    assert "政治面貌：正式党员 → 预备党员" in changes
    assert "手机号：13800001111 → 13800009999" in changes
    assert "部门：人事部 → 党群部" in changes
    assert "probationary" not in changes and "full" not in changes
    assert "刘强" in desktop.locator("table.roster-missing").inner_text()
    desktop.get_by_label("标记为不在册").check()
    screenshot(desktop, "roster-reimport-preview")

    desktop.get_by_role("button", name="确认导入（新增 0 人，变更 3 人）").click()
    desktop.wait_for_selector("text=已导入：")
    assert "已导入：更新 3 名党员，1 名党员标记为不在册。" in desktop.content()
    screenshot(desktop, "roster-reimport-done")
    wang = Member.objects.get(employee_number="1001")
    assert (wang.branch.name, wang.status) == ("第二党支部", PoliticalStatus.PROBATIONARY)
    assert Member.objects.get(employee_number="1002").phone == "13800009999"
    assert Member.objects.get(employee_number="1003").department == "党群部"
    assert not Member.objects.get(employee_number="3001").active

    # The branch list now counts 王芳 under 第二党支部, and 刘强 (不在册) nowhere.
    desktop.goto(live_server.url + "/admin/audience_branch/")
    headers = desktop.locator("table.listing thead").first.inner_text()
    assert "直属人数" in headers and "合计" in headers
    second = desktop.locator("tr", has_text="第二党支部").first.inner_text().split()
    assert second[-2:] == ["2", "2"], second
    top = desktop.locator("tr", has_text="机关党委").first.inner_text().split()
    assert top[-2:] == ["0", "3"], top
    screenshot(desktop, "roster-branch-counts")
