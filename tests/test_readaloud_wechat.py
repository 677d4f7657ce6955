"""听读悟 by voice message, end to end: the signed callback, the acknowledgement, the task that
fetches the recording by MediaId from the fake WeChat over HTTP (获取临时素材), the reading it
makes (WeChat's Recognition as transcript) and the customer-service message with the result."""

import pytest

from tests import wechat_sender as wx
from tests.fake_wechat_server import fake_wechat, wechat  # noqa: F401 (fixtures)
from tests.readaloud_support import OATH, clip, wav
from tests.test_audience_support import follower, member, tree
from weizhi.moderation.models import Source
from weizhi.readaloud import services
from weizhi.readaloud.models import Channel, Reading
from weizhi.wechat.api.errors import WeChatAPIError
from weizhi.wechat.api.media import get_media
from weizhi.wechat.callback.reading import ACKNOWLEDGEMENT
from weizhi.wechat.models import InboundMessage

pytestmark = pytest.mark.django_db
AMR = b"#!AMR\n" + (b"\x3c" + b"\x00" * 31) * 100  # two seconds of AMR-NB frames


@pytest.fixture
def reader(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.READALOUD_RECOGNISER = "none"
    branches = tree()
    person = member(branches["first"], "1001", name="王芳")
    bound = follower("o-reader")
    bound.member = person
    bound.save()
    return person


def send(capture, client, message):
    with capture(execute=True):
        return wx.post(client, message)


def voice(media_id: str, **extra):
    return wx.fields("o-reader", "voice", MediaId=media_id, Format="amr", **extra)


def test_a_voice_message_while_a_clip_is_open_becomes_a_scored_reading(
    client, account_on_fake, reader, django_capture_on_commit_callbacks
):
    account_on_fake.state.add_user("o-reader")
    c = clip()
    services.open_clip(reader, c)
    media_id = account_on_fake.add_media(AMR)
    said = OATH.replace("，", "")
    _, reply = send(django_capture_on_commit_callbacks, client, voice(media_id, Recognition=said))
    assert reply["Content"] == ACKNOWLEDGEMENT
    reading = Reading.objects.get()
    assert reading.member == reader and reading.clip == c and reading.channel == Channel.WECHAT
    assert reading.transcript == said and reading.score == 100.0
    assert reading.audio_format == "amr" and reading.audio.read() == AMR
    assert reading.item.source == Source.WECHAT
    assert ("GET", "/cgi-bin/media/get") in account_on_fake.calls
    sent = account_on_fake.state.custom_messages
    assert len(sent) == 1 and "得分 100" in sent[0]["text"]["content"]
    assert "已连续打卡 1 天" in sent[0]["text"]["content"]


def test_without_recognition_the_voice_message_is_a_check_in(
    client, account_on_fake, reader, django_capture_on_commit_callbacks
):
    account_on_fake.state.add_user("o-reader")
    clip()  # not opened: the clip of the week, as no reply rule wants the message
    media_id = account_on_fake.add_media(wav(3).read(), "audio/wav")
    send(django_capture_on_commit_callbacks, client, voice(media_id))
    reading = Reading.objects.get()
    assert reading.score is None and reading.duration == 3.0
    assert "打卡成功" in account_on_fake.state.custom_messages[0]["text"]["content"]


def test_a_message_sent_again_by_wechat_makes_one_reading(
    client, account_on_fake, reader, django_capture_on_commit_callbacks
):
    account_on_fake.state.add_user("o-reader")
    services.open_clip(reader, clip())
    message = voice(account_on_fake.add_media(AMR))
    send(django_capture_on_commit_callbacks, client, message)
    send(django_capture_on_commit_callbacks, client, message)
    assert Reading.objects.count() == 1 and len(account_on_fake.state.custom_messages) == 1


def test_a_follower_not_bound_to_a_member_reads_nothing(
    client, account_on_fake, reader, django_capture_on_commit_callbacks
):
    account_on_fake.state.add_user("o-stranger")
    services.open_clip(reader, clip())
    media_id = account_on_fake.add_media(AMR)
    message = wx.fields("o-stranger", "voice", MediaId=media_id, Format="amr")
    _, reply = send(django_capture_on_commit_callbacks, client, message)
    assert not Reading.objects.exists() and (
        reply is None or reply.get("Content") != ACKNOWLEDGEMENT
    )
    assert ("GET", "/cgi-bin/media/get") not in account_on_fake.calls


def test_the_fake_serves_media_as_wechat_does_and_refuses_an_unknown_id(wechat, fake_wechat):  # noqa: F811
    media_id = fake_wechat.add_media(AMR)
    data, kind = get_media(media_id, client=wechat)
    assert data == AMR and kind == "audio/amr"
    with pytest.raises(WeChatAPIError) as refused:
        get_media("no-such-media", client=wechat)
    assert refused.value.errcode == 40007


def test_a_recording_wechat_no_longer_has_leaves_no_reading(
    client, account_on_fake, reader, django_capture_on_commit_callbacks
):
    account_on_fake.state.add_user("o-reader")
    services.open_clip(reader, clip())
    _, reply = send(django_capture_on_commit_callbacks, client, voice("expired-media"))
    assert reply["Content"] == ACKNOWLEDGEMENT
    # An expired MediaId will not come back: no retries, the follower is asked to send again.
    assert not Reading.objects.exists()
    [told] = account_on_fake.state.custom_messages
    assert told["text"]["content"] == "录音获取失败，请重新发送语音。"
    assert InboundMessage.objects.get().status != InboundMessage.Status.FAILED
