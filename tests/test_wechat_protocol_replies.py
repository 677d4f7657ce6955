"""Passive replies of weizhi.wechat.protocol: every type renders and parses back."""

import pytest

from weizhi.wechat.protocol import (
    Article,
    ImageReply,
    InvalidReply,
    MusicReply,
    NewsReply,
    TextMessage,
    TextReply,
    VideoReply,
    VoiceReply,
    parse_fields,
    parse_message,
    render_reply,
    reply_to,
)
from weizhi.wechat.protocol.replies import cdata, render_encrypted_envelope

FOLLOWER = "oPq7Xw4Yz9AbCdEfGhIjKlMnOpQr"
ACCOUNT = "gh_5f3a2b1c0d9e"


def rendered(reply):
    return parse_message(
        render_reply(reply, to_user=FOLLOWER, from_user=ACCOUNT, create_time=1718000001)
    )


def test_a_text_reply_round_trips_through_the_parser():
    message = rendered(TextReply("欢迎关注微智"))
    assert isinstance(message, TextMessage)
    assert (message.to_user, message.from_user, message.create_time) == (
        FOLLOWER,
        ACCOUNT,
        1718000001,
    )
    assert message.content == "欢迎关注微智"


def test_an_image_reply_round_trips_through_the_parser():
    message = rendered(ImageReply("media_img"))
    assert message.msg_type == "image"
    assert message.fields["Image"] == {"MediaId": "media_img"}


def test_a_voice_reply_round_trips_through_the_parser():
    message = rendered(VoiceReply("media_voice"))
    assert message.msg_type == "voice"
    assert message.fields["Voice"] == {"MediaId": "media_voice"}


def test_a_video_reply_round_trips_through_the_parser():
    message = rendered(VideoReply("media_vid", title="党课", description="第一讲"))
    assert message.msg_type == "video"
    assert message.fields["Video"] == {
        "MediaId": "media_vid",
        "Title": "党课",
        "Description": "第一讲",
    }


def test_a_music_reply_round_trips_through_the_parser():
    reply = MusicReply(
        thumb_media_id="thumb",
        title="歌唱祖国",
        description="合唱",
        music_url="https://example.com/a.mp3",
        hq_music_url="https://example.com/a-hq.mp3",
    )
    message = rendered(reply)
    assert message.msg_type == "music"
    assert message.fields["Music"] == {
        "Title": "歌唱祖国",
        "Description": "合唱",
        "MusicUrl": "https://example.com/a.mp3",
        "HQMusicUrl": "https://example.com/a-hq.mp3",
        "ThumbMediaId": "thumb",
    }


def test_a_news_reply_with_one_article_round_trips_through_the_parser():
    article = Article("标题", "摘要", "https://example.com/p.jpg", "https://example.com/a?x=1&y=2")
    message = rendered(NewsReply((article,)))
    assert message.msg_type == "news"
    assert message.fields["ArticleCount"] == "1"
    assert message.fields["Articles"]["item"] == {
        "Title": "标题",
        "Description": "摘要",
        "PicUrl": "https://example.com/p.jpg",
        "Url": "https://example.com/a?x=1&y=2",
    }


def test_a_news_reply_accepts_up_to_eight_articles():
    articles = tuple(Article(f"第{i}篇") for i in range(8))
    message = rendered(NewsReply(articles))
    assert message.fields["ArticleCount"] == "8"
    assert [item["Title"] for item in message.fields["Articles"]["item"]] == [
        f"第{i}篇" for i in range(8)
    ]


@pytest.mark.parametrize("count", [0, 9])
def test_a_news_reply_needs_one_to_eight_articles(count):
    with pytest.raises(InvalidReply, match="1 to 8 articles"):
        rendered(NewsReply(tuple(Article("t") for _ in range(count))))


@pytest.mark.parametrize(
    "reply", [ImageReply(""), VoiceReply(""), VideoReply(""), MusicReply(thumb_media_id="")]
)
def test_a_media_reply_needs_its_media_id(reply):
    with pytest.raises(InvalidReply, match="MediaId"):
        rendered(reply)


def test_an_unknown_reply_type_is_refused():
    with pytest.raises(InvalidReply, match="unknown reply type"):
        rendered("just a string")


@pytest.mark.parametrize(
    "text", ["]]>", "a]]>b", "]]>]]>", "x]]]>y", "]]", "<![CDATA[nested]]>", "<b>&amp;</b>"]
)
def test_text_containing_the_cdata_terminator_survives_the_round_trip(text):
    assert rendered(TextReply(text)).content == text


def test_the_cdata_terminator_is_split_across_two_sections():
    assert cdata("a]]>b") == "<![CDATA[a]]]]><![CDATA[>b]]>"


def test_control_characters_illegal_in_xml_are_removed():
    text = "a\x00b\x01\x08\x0b\x0c\x0e\x1fc\ufffe\uffff\ud800d"
    assert rendered(TextReply(text)).content == "abcd"


def test_tabs_newlines_emoji_and_chinese_are_kept():
    text = "第一行\n\t第二行 🎉\r"
    # XML parsers normalise a bare CR to LF.
    assert rendered(TextReply(text)).content == "第一行\n\t第二行 🎉\n"


def test_addresses_are_cleaned_and_escaped_too():
    xml = render_reply(TextReply("hi"), to_user="a]]>b\x00", from_user=ACCOUNT, create_time=1)
    assert parse_message(xml).to_user == "a]]>b"


def test_a_reply_goes_back_to_the_sender_from_the_account_it_reached():
    inbound = parse_message(
        f"<xml><ToUserName>{ACCOUNT}</ToUserName><FromUserName>{FOLLOWER}</FromUserName>"
        "<CreateTime>1718000000</CreateTime><MsgType>text</MsgType><Content>hi</Content></xml>"
    )
    reply = parse_message(reply_to(inbound, TextReply("你好"), create_time=1718000002))
    assert (reply.to_user, reply.from_user, reply.create_time) == (FOLLOWER, ACCOUNT, 1718000002)


def test_the_encrypted_envelope_carries_all_four_fields():
    envelope = parse_fields(render_encrypted_envelope("c2VjcmV0", "abc123", 1718000000, "42"))
    assert envelope == {
        "Encrypt": "c2VjcmV0",
        "MsgSignature": "abc123",
        "TimeStamp": "1718000000",
        "Nonce": "42",
    }
