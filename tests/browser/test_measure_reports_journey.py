"""An editor asks for last month's report on the demo's year of history, finds it done in the
list, opens it (charts drawn), and prints it: the print media hides the page's tools."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests import factories
from tests.base import user_in
from tests.browser.conftest import ARTIFACTS, screenshot
from tests.test_audience_support import member, tree
from weizhi.analytics.demo import load_demo_measure
from weizhi.analytics.models import Report

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PASSWORD = "p4ssw0rd-测试"


def test_an_editor_makes_a_monthly_report_opens_and_prints_it(live_server, desktop):
    factories.site_home()
    factories.article(title="学习贯彻会议精神")
    factories.article(title="支部工作动态：主题党日活动")
    branches = tree()
    for n, key in enumerate(("first", "first", "second", "third")):
        member(branches[key], f"{n}001", name=f"党员{n}")
    load_demo_measure()
    user_in("编辑", username="editor")

    desktop.goto(live_server.url + "/admin/login/")
    desktop.fill("#id_username", "editor")
    desktop.fill("#id_password", PASSWORD)
    desktop.click("button[type=submit]")
    desktop.wait_for_url(live_server.url + "/admin/")

    desktop.goto(f"{live_server.url}/admin/measure/reports/")
    last_month = (timezone.localdate().replace(day=1) - timezone.timedelta(days=1)).isoformat()
    desktop.select_option("#id_kind", "monthly")
    desktop.fill("#id_start", last_month)
    desktop.click("form.report-form button[type=submit]")
    desktop.wait_for_url(f"{live_server.url}/admin/measure/reports/")
    row = desktop.locator("table.report-list tbody tr").first
    assert "已完成" in row.inner_text() and "编辑" in row.inner_text()
    assert "全部组织数据统计月报" in row.inner_text()
    screenshot(desktop, "report-list")

    row.locator("a").first.click()
    report = Report.objects.get()
    desktop.wait_for_url(f"{live_server.url}/admin/measure/reports/{report.pk}/")
    assert desktop.locator("h1").inner_text() == "全部组织数据统计月报"
    assert "比上月" in desktop.locator(".report-summary").inner_text()
    charts = desktop.locator("figure.chart svg.chart-svg")
    assert charts.count() >= 6
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box and box["width"] > 300 and box["height"] > 20, i
    expect(desktop.locator(".report-tools")).to_be_visible()
    screenshot(desktop, "report-page")

    desktop.emulate_media(media="print")
    expect(desktop.locator(".report-tools")).to_be_hidden()
    screenshot(desktop, "report-print")
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = desktop.pdf(path=str(ARTIFACTS / "report.pdf"), format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")

    with desktop.expect_download() as download:
        desktop.emulate_media(media="screen")
        desktop.click("text=下载 Word 文件")
    assert download.value.suggested_filename.endswith(".docx")
    download.value.save_as(ARTIFACTS / "report.docx")
