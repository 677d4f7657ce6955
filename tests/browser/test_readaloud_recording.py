"""听读悟 on a phone: a member opens a clip, records with the browser's MediaRecorder (Chromium's
fake microphone, which plays a tone), stops, and lands on the result: a check-in, the 解读,
and their own recording to play back."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, PLAIN_UA, screenshot
from tests.quiz_support import PASSWORD
from tests.readaloud_support import clip
from tests.test_audience_support import member, tree
from weizhi.audience import services as audience
from weizhi.readaloud.models import Reading

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def microphone_phone(browser):
    """A phone whose browser grants the microphone and feeds it Chromium's fake device: a
    second Chromium from the session's Playwright (a second Playwright cannot start in this
    thread while the session's runs)."""
    with_microphone = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-background-networking",
            "--disable-gpu",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
        ],
    )
    context = with_microphone.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        user_agent=PLAIN_UA,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()
    with_microphone.close()


def test_a_member_records_a_reading_with_the_phone_microphone(
    live_server, microphone_phone, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.READALOUD_RECOGNISER = "none"
    page = microphone_phone
    c = clip()
    person = member(tree()["first"], "1001", name="王芳")
    audience.set_member_password(person, PASSWORD)
    base = live_server.url
    page.goto(f"{base}/readaloud/")
    page.wait_for_url("**/me/login/**")
    page.get_by_label("工号").fill("1001")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/readaloud/")
    page.get_by_role("link", name=re.compile("入党誓词")).click()
    record = page.get_by_role("button", name="开始录音")
    assert record.bounding_box()["height"] >= 48
    page.get_by_label(re.compile("同意编辑将我的朗读")).check()
    screenshot(page, "readaloud-clip")
    stop = page.get_by_role("button", name="结束并提交")
    expect(stop).to_be_hidden()
    record.click()
    page.get_by_text(re.compile(r"正在录音 [2-9] 秒")).wait_for()
    expect(stop).to_be_visible()
    expect(record).to_be_hidden()
    screenshot(page, "readaloud-recording")
    stop.click()
    page.wait_for_url(re.compile(r"/readaloud/readings/\d+/$"))
    page.get_by_text("打卡成功").wait_for()
    expect(page.get_by_text("誓词是党员对党的庄严承诺。")).to_be_visible()
    screenshot(page, "readaloud-result")
    reading = Reading.objects.get()
    assert reading.member == person and reading.clip == c and reading.consent
    assert reading.audio_format in ("webm", "ogg") and reading.duration >= 1.5
    assert Path(reading.audio.path).stat().st_size > 1000
    assert page.evaluate("fetch(document.querySelector('audio').src).then(r => r.status)") == 200
