"""听读悟 recorded inside WeChat with the JS-SDK: the page posts the serverId uploadVoice gave;
a task fetches the recording from the fake WeChat over HTTP (获取临时素材, the published
contract) and stores it as a reading exactly as a voice message is stored; the page asks
until it is stored, or is told in Chinese why not."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.fake_wechat_server import fake_wechat  # noqa: F401 (fixture)
from tests.quiz_support import signed_in
from tests.readaloud_support import clip, wav
from tests.test_audience_support import fast_passwords, tree  # noqa: F401
from tests.test_wechat_share import installed_sdk
from weizhi.moderation.models import Kind, Source, State
from weizhi.readaloud import tasks
from weizhi.readaloud.models import Channel, Reading, WeChatRecording

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]
AMR = b"#!AMR\n" + (b"\x3c" + b"\x00" * 31) * 150  # three seconds of AMR-NB frames
WECHAT_UA = "Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36 MicroMessenger/8.0.50.2701"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.READALOUD_RECOGNISER = "none"
    return settings.MEDIA_ROOT


def send(client, capture, c, server_id: str, **fields):
    with capture(execute=True):
        return client.post(
            reverse("readaloud:read-in-wechat", args=[c.pk]),
            {"server_id": server_id, "seconds": "3.0", **fields},
            HTTP_X_REQUESTED_WITH="fetch",
        )


def poll(client, response) -> dict:
    return client.get(response.json()["poll"]).json()


def test_a_server_id_becomes_a_reading_fetched_from_wechat(
    client, account_on_fake, media, django_capture_on_commit_callbacks
):
    c = clip()
    person = signed_in(client, tree()["first"], "1001")
    server_id = account_on_fake.add_media(AMR)
    response = send(client, django_capture_on_commit_callbacks, c, server_id, consent="on")
    assert response.status_code == 200
    reading = Reading.objects.get()
    assert poll(client, response) == {"url": reverse("readaloud:reading", args=[reading.pk])}
    assert (reading.member, reading.clip, reading.channel) == (person, c, Channel.JSSDK)
    assert reading.audio_format == "amr" and reading.audio.read() == AMR
    assert reading.consent and reading.score is None and reading.wechat_media_id == server_id
    assert reading.item.kind == Kind.READING and reading.item.state == State.PENDING
    assert reading.item.source == Source.READER
    assert ("GET", "/cgi-bin/media/get") in account_on_fake.calls
    page = client.get(reverse("readaloud:reading", args=[reading.pk])).content.decode()
    assert "打卡成功" in page
    assert client.get(reverse("readaloud:listen", args=[reading.pk])).status_code == 200


def test_an_expired_server_id_is_told_in_chinese_and_stores_nothing(
    client, account_on_fake, media, django_capture_on_commit_callbacks
):
    c = clip()
    signed_in(client, tree()["first"], "1001")
    response = send(client, django_capture_on_commit_callbacks, c, "expired-voice-1")
    assert response.status_code == 200
    assert poll(client, response) == {"error": tasks.EXPIRED}
    assert "请重新录音" in tasks.EXPIRED
    assert not Reading.objects.exists() and not any(media.rglob("*.amr"))
    assert WeChatRecording.objects.get().status == WeChatRecording.Status.FAILED


def test_what_wechat_hands_back_is_checked_like_any_recording(
    client, account_on_fake, media, django_capture_on_commit_callbacks
):
    c = clip()
    signed_in(client, tree()["first"], "1001")
    server_id = account_on_fake.add_media(b"<html>not a recording</html>" * 10, "audio/amr")
    response = send(client, django_capture_on_commit_callbacks, c, server_id)
    assert "不是可以识别的录音文件" in poll(client, response)["error"]
    assert not Reading.objects.exists()


def test_a_server_id_sent_twice_makes_one_reading_and_one_fetch(
    client, account_on_fake, media, django_capture_on_commit_callbacks
):
    c = clip()
    signed_in(client, tree()["first"], "1001")
    server_id = account_on_fake.add_media(wav(3).read(), "audio/wav")
    first = send(client, django_capture_on_commit_callbacks, c, server_id)
    second = send(client, django_capture_on_commit_callbacks, c, server_id)
    assert first.json() == second.json()
    assert Reading.objects.count() == 1
    assert account_on_fake.calls.count(("GET", "/cgi-bin/media/get")) == 1


def test_a_malformed_server_id_is_refused_before_anything_is_asked(
    client, account_on_fake, media, django_capture_on_commit_callbacks
):
    c = clip()
    signed_in(client, tree()["first"], "1001")
    for bad in ("", "../../etc/passwd", "x" * 200):
        response = send(client, django_capture_on_commit_callbacks, c, bad)
        assert (
            response.status_code == 400
            and response.json()["error"] == "录音上传不完整，请重新录音。"
        )
    assert not WeChatRecording.objects.exists()
    assert ("GET", "/cgi-bin/media/get") not in account_on_fake.calls


def test_another_member_cannot_see_or_claim_the_recording(
    client, account_on_fake, media, django_capture_on_commit_callbacks
):
    c = clip()
    branches = tree()
    signed_in(client, branches["first"], "1001")
    server_id = account_on_fake.add_media(AMR)
    response = send(client, django_capture_on_commit_callbacks, c, server_id)
    poll_url = response.json()["poll"]
    client.logout()
    signed_in(client, branches["first"], "1002", name="李强")
    assert client.get(poll_url).status_code == 404
    again = send(client, django_capture_on_commit_callbacks, c, server_id)
    assert again.status_code == 400 and Reading.objects.count() == 1


def test_a_stranger_is_sent_to_sign_in(client, media):
    c = clip()
    response = client.post(reverse("readaloud:read-in-wechat", args=[c.pk]), {"server_id": "x"})
    assert response.status_code == 302 and "/me/login/" in response["Location"]
    assert not WeChatRecording.objects.exists()


def test_inside_wechat_the_clip_page_loads_the_sdk_and_its_recorder(
    client, media, settings, tmp_path
):
    c = clip()
    signed_in(client, tree()["first"], "1001")
    settings.WECHAT_JSSDK = True
    installed_sdk(settings, tmp_path, present=True)
    url = reverse("readaloud:clip", args=[c.pk])
    inside = client.get(url, HTTP_USER_AGENT=WECHAT_UA).content.decode()
    sdk = '<script src="/static/wechat/vendor/jweixin.js" defer></script>'
    assert sdk in inside and inside.index(sdk) < inside.index("readaloud/recorder.js")
    assert 'data-wx-config="/wechat/oauth/jssdk/config/"' in inside
    assert f'data-wx-upload="/readaloud/clips/{c.pk}/wechat"' in inside
    outside = client.get(url).content.decode()
    assert "jweixin" not in outside and "data-wx-config" not in outside
    settings.WECHAT_JSSDK = False
    unsigned = client.get(url, HTTP_USER_AGENT=WECHAT_UA).content.decode()
    assert "jweixin" not in unsigned and "data-wx-upload" not in unsigned
