"""听读悟 inside WeChat: the clip page uses WeChat's own recorder through the JS-SDK. Real
WeChat is not reachable, so the vendored SDK is replaced by a stand-in (wx_stand_in.js) that
follows the published contract; our server signs the config (the fake WeChat's ticket),
takes the serverId and fetches the recording from the fake WeChat in a task."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.readaloud_support import clip
from tests.test_audience_support import member, tree
from weizhi.audience import identity
from weizhi.readaloud.models import Channel, Reading
from weizhi.wechat.api.jssdk import jsapi_signature, jsapi_ticket

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
STAND_IN = Path(__file__).with_name("wx_stand_in.js")
AMR = b"#!AMR\n" + (b"\x3c" + b"\x00" * 31) * 150  # three seconds of AMR-NB frames


@pytest.fixture
def inside_wechat(live_server, account_on_fake, settings, tmp_path):
    """The JS-SDK on, its file the stand-in, the site's address the live server's."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.READALOUD_RECOGNISER = "none"
    settings.WECHAT_JSSDK = True
    settings.SITE_URL = live_server.url
    vendor = tmp_path / "static" / "wechat" / "vendor"
    vendor.mkdir(parents=True)
    (vendor / "jweixin.js").write_bytes(STAND_IN.read_bytes())
    settings.STATICFILES_DIRS = [tmp_path / "static", *settings.STATICFILES_DIRS]
    return account_on_fake


def signed_in_page(page, base: str, plan: dict):
    """A member signed in by their session cookie, the stand-in's plan set before any script."""
    person = member(tree()["first"], "1001", name="王芳")
    session = SessionStore()
    session[identity.SESSION_MEMBER_KEY] = person.pk
    session[identity.SESSION_MEMBER_HASH] = identity._password_digest(person)
    session.save()
    cookie = {"name": django_settings.SESSION_COOKIE_NAME, "value": session.session_key}
    page.context.add_cookies([{**cookie, "url": base}])
    page.add_init_script(f"window.__wxPlan = {json.dumps(plan)};")
    return person


def calls(page) -> list:
    return [c[0] for c in page.evaluate("window.__wxCalls")]


def test_a_member_records_with_wechats_recorder(inside_wechat, live_server, phone):
    c = clip()
    server_id = inside_wechat.add_media(AMR)
    person = signed_in_page(phone, live_server.url, {"serverId": server_id})
    url = f"{live_server.url}/readaloud/clips/{c.pk}/"
    phone.goto(url)
    record = phone.get_by_role("button", name="开始录音")
    record.wait_for()
    [config] = [c[1] for c in phone.evaluate("window.__wxCalls") if c[0] == "config"]
    assert config["signature"] == jsapi_signature(
        jsapi_ticket(), config["nonceStr"], config["timestamp"], url
    )
    assert {"startRecord", "stopRecord", "onVoiceRecordEnd", "uploadVoice"} <= set(
        config["jsApiList"]
    )
    phone.get_by_label(re.compile("同意编辑将我的朗读")).check()
    record.click()
    phone.get_by_text(re.compile(r"正在录音 [2-9] 秒（最长 60 秒）")).wait_for()
    assert calls(phone) == ["config", "checkJsApi", "onVoiceRecordEnd", "startRecord"]
    screenshot(phone, "readaloud-wechat-recording")
    phone.get_by_role("button", name="结束并提交").click()
    phone.wait_for_url(re.compile(r"/readaloud/readings/\d+/$"))
    phone.get_by_text("打卡成功").wait_for()
    screenshot(phone, "readaloud-wechat-result")
    reading = Reading.objects.get()
    assert reading.member == person and reading.channel == Channel.JSSDK and reading.consent
    assert reading.audio.read() == AMR and reading.wechat_media_id == server_id


def test_wechat_ends_a_recording_at_its_limit_and_it_is_handed_in(
    inside_wechat, live_server, phone
):
    c = clip()
    server_id = inside_wechat.add_media(AMR)
    plan = {"serverId": server_id, "recordEndAfterMs": 1500}
    signed_in_page(phone, live_server.url, plan)
    phone.goto(f"{live_server.url}/readaloud/clips/{c.pk}/")
    phone.get_by_role("button", name="开始录音").click()
    phone.wait_for_url(re.compile(r"/readaloud/readings/\d+/$"))
    assert Reading.objects.get().channel == Channel.JSSDK


def test_an_expired_recording_is_told_and_the_member_may_record_again(
    inside_wechat, live_server, phone
):
    c = clip()
    signed_in_page(phone, live_server.url, {"serverId": "expired-voice-7"})
    phone.goto(f"{live_server.url}/readaloud/clips/{c.pk}/")
    phone.get_by_role("button", name="开始录音").click()
    phone.get_by_role("button", name="结束并提交").click()
    phone.get_by_text(re.compile("微信已不再保存这段录音")).wait_for()
    expect(phone.get_by_role("button", name="开始录音")).to_be_visible()
    assert "uploadVoice" in calls(phone) and not Reading.objects.exists()
    screenshot(phone, "readaloud-wechat-expired")


def test_when_the_config_fails_the_browser_recorder_is_used(inside_wechat, live_server, phone):
    c = clip()
    signed_in_page(phone, live_server.url, {"serverId": "unused", "configOk": False})
    phone.goto(f"{live_server.url}/readaloud/clips/{c.pk}/")
    phone.get_by_role("button", name="开始录音").click()
    # This Chromium has no microphone: the browser recorder says so; WeChat's was not used.
    phone.get_by_text(re.compile("无法使用麦克风")).wait_for()
    assert "startRecord" not in calls(phone) and "config" in calls(phone)
