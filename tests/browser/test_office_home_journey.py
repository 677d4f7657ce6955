"""On a laptop: a reviewer signs in and the admin home shows the article waiting for their
step, the week's reading and their way to it, all in Chinese."""

import pytest
from django.utils import timezone

from tests import factories
from tests.base import user_in
from tests.browser.conftest import screenshot
from tests.test_review_workflow import submit
from weizhi.analytics.models import DailyPageStats

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PASSWORD = "p4ssw0rd-测试"


def test_a_reviewer_opens_the_admin_and_finds_what_waits_for_them(live_server, desktop):
    factories.site_home()
    editor, _reviewer = user_in("编辑", username="editor"), user_in("初审", username="r1")
    waiting = factories.article(title="汛期安全检查通知", publish=False)
    submit(waiting, editor)
    read = factories.article(title="检修班组的一天")
    DailyPageStats.objects.create(page=read, day=timezone.localdate(), reads=128)

    desktop.goto(live_server.url + "/admin/login/")
    desktop.fill("#id_username", "r1")
    desktop.fill("#id_password", PASSWORD)
    desktop.click("button[type=submit]")
    desktop.wait_for_url(live_server.url + "/admin/")
    panel = desktop.locator("#office-home-section")
    assert "今日办公" in panel.inner_text()
    assert "1\n待我审核的稿件" in panel.inner_text() or "1 待我审核的稿件" in panel.inner_text()
    assert "128" in panel.locator("li", has_text="今日阅读").inner_text()
    screenshot(desktop, "admin-office-home")
    panel.locator("a", has_text="汛期安全检查通知").click()
    desktop.wait_for_url(f"**/admin/pages/{waiting.pk}/edit/")
