"""On a laptop and a phone: an editor opens each 数据统计 dashboard, filled with the demo's
year of history, and every chart on it drew."""

import pytest

from tests import factories
from tests.base import user_in
from tests.browser.conftest import screenshot
from tests.test_audience_support import member, tree
from weizhi.analytics.demo import load_demo_measure

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PASSWORD = "p4ssw0rd-测试"


def test_an_editor_opens_every_dashboard_and_its_charts_draw(live_server, desktop):
    factories.site_home()
    factories.article(title="学习贯彻会议精神")
    branches = tree()
    member(branches["first"], "1001", name="王芳")
    load_demo_measure()
    user_in("编辑", username="editor")

    desktop.goto(live_server.url + "/admin/login/")
    desktop.fill("#id_username", "editor")
    desktop.fill("#id_password", PASSWORD)
    desktop.click("button[type=submit]")
    desktop.wait_for_url(live_server.url + "/admin/")
    for name in ("overview", "organisation", "content"):
        desktop.goto(f"{live_server.url}/admin/measure/{name}/?days=365")
        charts = desktop.locator("figure.chart svg.chart-svg")
        assert charts.count() >= 2, name
        for i in range(charts.count()):
            box = charts.nth(i).bounding_box()
            assert box and box["width"] > 200 and box["height"] > 20, (name, i)
            assert charts.nth(i).locator("rect").count() > 0, (name, i)
        assert "这段时间还没有数据" not in desktop.content()
        if name == "overview":  # WeChat's numbers beside ours: two series of bars drew
            paired = desktop.locator("figure.chart-paired")
            assert paired.count() == 2
            assert paired.first.locator("rect.chart-bar[fill='#0072b2']").count() > 0
        screenshot(desktop, f"measure-{name}")
    desktop.set_viewport_size({"width": 390, "height": 844})
    desktop.goto(f"{live_server.url}/admin/measure/overview/?days=30")
    assert desktop.locator("figure.chart svg.chart-svg").first.bounding_box()["width"] <= 390
    screenshot(desktop, "measure-overview-phone")
