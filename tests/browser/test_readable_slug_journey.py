"""On a laptop: an editor writes an article with a Chinese title in the admin; its address
is the title's pinyin, not the title percent-encoded."""

import pytest

from tests import factories
from tests.base import user_in
from weizhi.content.models import ArticlePage

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PASSWORD = "p4ssw0rd-测试"


def test_an_article_written_in_the_admin_gets_a_pinyin_address(live_server, desktop):
    factories.site_home()
    user_in("编辑", username="editor")
    base = live_server.url
    desktop.goto(base + "/admin/login/")
    desktop.fill("#id_username", "editor")
    desktop.fill("#id_password", PASSWORD)
    desktop.click("button[type=submit]")
    desktop.wait_for_url(base + "/admin/")
    column = factories.column("yixian")
    desktop.goto(f"{base}/admin/pages/{column.pk}/add_subpage/")
    desktop.locator("a", has_text="文章").first.click()
    desktop.wait_for_selector("#id_title")
    desktop.fill("#id_title", "检修班组的一天")
    desktop.fill("#id_summary", "凌晨四点，检修班组已经出发。")
    desktop.locator("footer button", has_text="保存草稿").first.click()
    desktop.wait_for_url("**/edit/")
    desktop.wait_for_load_state("networkidle")
    errors = desktop.locator(".error-message").all_inner_texts()
    assert ArticlePage.objects.filter(title="检修班组的一天").exists(), errors
    article = ArticlePage.objects.get(title="检修班组的一天")
    assert article.slug == "jian-xiu-ban-zu-de-yi-tian"
