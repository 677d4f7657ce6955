"""生成示范朗读 in the admin, with the real espeak-ng: an editor opens a clip, presses the
button on its edit page, confirms, and the page shows the synthesised reference audio."""

import re
import shutil

import pytest
from django.test import Client

from tests.base import user_in
from tests.browser.conftest import screenshot
from tests.readaloud_support import clip

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_an_editor_generates_a_reference_reading(live_server, desktop, settings, tmp_path):
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is not installed (make browser-deps installs it)")
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.READALOUD_TTS_COMMAND = "espeak-ng -v cmn -w {out} -f {textfile}"
    c = clip(passage="严守党的纪律，保守党的秘密。")
    signer = Client()
    signer.force_login(user_in("编辑", "editor"))
    cookie = signer.cookies[settings.SESSION_COOKIE_NAME].value
    desktop.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    desktop.goto(f"{live_server.url}/admin/readaloud_clip/edit/{c.pk}/")
    desktop.get_by_role("link", name="生成示范朗读").click()
    desktop.wait_for_url(re.compile(r"/admin/readaloud/clips/\d+/reference/$"))
    desktop.get_by_role("button", name="生成示范朗读").click()
    desktop.get_by_text("已开始生成示范朗读").wait_for()
    desktop.get_by_text(re.compile("状态：由语音合成生成")).wait_for()
    assert desktop.locator("audio").count() == 1
    source = desktop.locator("audio").get_attribute("src")
    assert desktop.evaluate(f"fetch({source!r}).then(r => r.status)") == 200
    screenshot(desktop, "readaloud-reference-generated")
    c.refresh_from_db()
    assert c.reference_audio and c.reference_note.startswith("由语音合成生成")
