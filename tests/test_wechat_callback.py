"""The callback URL, end to end: WeChat's GET check, every message type in each mode,
retries, and hostile requests."""

import asyncio
import io
import logging
import time

import pytest

from tests import wechat_sender as wx
from tests import wsgi_entry
from tests.base import run_coroutine
from weizhi.audience.models import Follower
from weizhi.core.logging import request_id_var
from weizhi.wechat.account import current_account, forget_account
from weizhi.wechat.models import InboundMessage
from weizhi.wechat.protocol import MessageCrypto, Mode, callback_signature
from weizhi.wechat.protocol.sender import Sender, message_xml

pytestmark = pytest.mark.django_db

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx2c2769f8efd9abc2"


@pytest.fixture(params=["plain", "compatible", "safe"])
def mode(request, settings):
    settings.WECHAT_APP_ID = APP_ID
    settings.WECHAT_TOKEN = "spamtest"
    settings.WECHAT_ENCODING_AES_KEY = AES_KEY
    settings.WECHAT_MESSAGE_MODE = request.param
    forget_account()
    yield request.param
    forget_account()


def verify_params(token: str, echostr: str = "echo-123", timestamp: int | None = None) -> dict:
    ts = str(timestamp or int(time.time()))
    return {
        "signature": callback_signature(token, ts, "42"),
        "timestamp": ts,
        "nonce": "42",
        "echostr": echostr,
    }


def test_the_url_check_echoes_echostr_when_the_signature_holds(client):
    token = current_account().token
    response = client.get(wx.URL, verify_params(token))
    assert response.status_code == 200
    assert response.content == b"echo-123"


def test_the_url_check_refuses_a_wrong_token_and_a_stale_timestamp(client):
    assert client.get(wx.URL, verify_params("not-the-token")).status_code == 403
    stale = verify_params(current_account().token, timestamp=int(time.time()) - 3600)
    assert client.get(wx.URL, stale).status_code == 403
    assert client.get(wx.URL, {"echostr": "x"}).status_code == 400


def test_the_simulated_account_runs_in_safe_mode_with_keys_of_its_own():
    account = current_account()
    assert account.simulated
    assert account.mode is Mode.SAFE
    assert len(account.aes_key) == 43
    assert account.aes_key != AES_KEY


EVERY_TYPE = [
    ("text", {"Content": "你好"}),
    ("image", {"PicUrl": "http://mmbiz/x.jpg", "MediaId": "m1"}),
    ("voice", {"MediaId": "m2", "Format": "amr", "Recognition": "党章"}),
    ("video", {"MediaId": "m3", "ThumbMediaId": "t3"}),
    ("shortvideo", {"MediaId": "m4", "ThumbMediaId": "t4"}),
    ("location", {"Location_X": "39.9", "Location_Y": "116.3", "Scale": 15, "Label": "北京"}),
    ("link", {"Title": "链接", "Description": "说明", "Url": "https://example.org/"}),
    ("event", {"Event": "subscribe"}),
    ("event", {"Event": "subscribe", "EventKey": "qrscene_42", "Ticket": "T"}),
    ("event", {"Event": "unsubscribe"}),
    ("event", {"Event": "SCAN", "EventKey": "42", "Ticket": "T"}),
    ("event", {"Event": "LOCATION", "Latitude": "39.9", "Longitude": "116.3", "Precision": "30"}),
    ("event", {"Event": "CLICK", "EventKey": "LATEST"}),
    ("event", {"Event": "VIEW", "EventKey": "https://example.org/"}),
    ("event", {"Event": "TEMPLATESENDJOBFINISH", "MsgID": "1", "Status": "success"}),
    (
        "event",
        {
            "Event": "MASSSENDJOBFINISH",
            "MsgID": "1000001625",
            "Status": "send success",
            "TotalCount": 2,
            "FilterCount": 2,
            "SentCount": 2,
            "ErrorCount": 0,
        },
    ),
    ("miniprogrampage", {"Title": "未知类型", "AppId": "wxapp"}),
]


@pytest.mark.parametrize(("msg_type", "extra"), EVERY_TYPE, ids=lambda v: str(v)[:30])
def test_every_message_type_is_stored_in_every_mode(client, mode, msg_type, extra):
    message = wx.fields("o-every", msg_type, **extra)
    response, _ = wx.post(client, message)
    assert response.status_code == 200, response.content
    stored = InboundMessage.objects.get()
    assert stored.openid == "o-every"
    assert stored.msg_type == msg_type
    assert stored.event == extra.get("Event", "")
    assert stored.encrypted == (mode != "plain")
    assert f"<MsgType><![CDATA[{msg_type}]]></MsgType>" in stored.raw_xml


def test_a_plain_message_to_a_safe_account_is_refused(client, settings):
    settings.WECHAT_APP_ID = APP_ID
    settings.WECHAT_TOKEN = "spamtest"
    settings.WECHAT_ENCODING_AES_KEY = AES_KEY
    settings.WECHAT_MESSAGE_MODE = "safe"
    forget_account()
    plain = Sender(token="spamtest", mode=Mode.PLAIN)
    response, _ = wx.post(client, wx.text("o1", "你好"), via=plain)
    assert response.status_code == 400
    assert not InboundMessage.objects.exists()


def test_a_message_sealed_with_another_key_is_refused(client):
    account = current_account()
    other = MessageCrypto("B" * 43, account.app_id)
    impostor = Sender(token=account.token, mode=Mode.SAFE, crypto=other)
    response, _ = wx.post(client, wx.text("o1", "你好"), via=impostor)
    assert response.status_code == 403
    assert not InboundMessage.objects.exists()


def test_a_message_with_a_wrong_signature_is_refused(client):
    account = current_account()
    impostor = Sender(token="guessed", mode=Mode.SAFE, crypto=account.crypto())
    response, _ = wx.post(client, wx.text("o1", "你好"), via=impostor)
    assert response.status_code == 403


def test_a_replayed_old_message_is_refused(client):
    account = current_account()
    old = Sender(
        token=account.token,
        mode=account.mode,
        crypto=account.crypto(),
        clock=lambda: time.time() - 3600,
    )
    response, _ = wx.post(client, wx.text("o1", "你好"), via=old)
    assert response.status_code == 403


HOSTILE = [
    b"",
    b"not xml at all",
    b"<xml><ToUserName>a</ToUserName>",
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Content>&a;</Content></xml>',
    b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Content>&e;</Content></xml>',
    b"<html><body>hi</body></html>",
]


@pytest.mark.parametrize("body", HOSTILE)
def test_hostile_or_malformed_xml_gets_a_400_and_nothing_is_stored(client, settings, body):
    settings.WECHAT_APP_ID = APP_ID
    settings.WECHAT_TOKEN = "spamtest"
    settings.WECHAT_MESSAGE_MODE = "plain"
    forget_account()
    params, _ = Sender(token="spamtest").seal("<xml/>")
    query = "&".join(f"{k}={v}" for k, v in params.items())
    response = client.post(f"{wx.URL}?{query}", data=body, content_type="text/xml")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert not InboundMessage.objects.exists()


def test_an_oversized_body_is_refused_before_it_is_read(client):
    params, _ = wx.sender().seal("<xml/>")
    query = "&".join(f"{k}={v}" for k, v in params.items())
    body = b"<xml>" + b"a" * (70 * 1024) + b"</xml>"
    response = client.post(f"{wx.URL}?{query}", data=body, content_type="text/xml")
    assert response.status_code == 413


def test_a_retried_message_is_stored_once_and_answered_the_same(client):
    from weizhi.wechat.models import ReplyRule

    ReplyRule.objects.create(name="问候", trigger="keyword", keywords="你好", text="您好！")
    message = wx.text("o-retry", "你好")
    _, reply1 = wx.post(client, message)
    _, reply2 = wx.post(client, message)  # WeChat signs each retry anew
    assert reply1["Content"] == reply2["Content"] == "您好！"
    stored = InboundMessage.objects.get()
    assert stored.duplicates == 1


def test_a_retried_subscribe_event_is_a_single_follow(client):
    message = wx.event("o-follow", "subscribe")
    wx.post(client, message)
    wx.post(client, message)
    assert InboundMessage.objects.count() == 1
    follower = Follower.objects.get(openid="o-follow")
    assert follower.subscribed


def test_subscribe_and_unsubscribe_keep_the_follower_in_step(client):
    wx.post(client, wx.event("o-f", "subscribe", EventKey="qrscene_7"))
    follower = Follower.objects.get(openid="o-f")
    assert follower.subscribed and follower.qr_scene == "7"
    wx.post(client, wx.event("o-f", "unsubscribe"))
    follower.refresh_from_db()
    assert not follower.subscribed and follower.unsubscribed_at is not None


def test_an_unanswered_message_gets_success_as_wechat_expects(client):
    response, reply = wx.post(client, wx.text("o1", "没有规则的一句话"))
    assert response.content == b"success"
    assert reply is None
    assert InboundMessage.objects.get().status == InboundMessage.Status.NO_REPLY


def test_the_reply_is_encrypted_when_the_message_was(client):
    from weizhi.wechat.models import ReplyRule

    ReplyRule.objects.create(name="默认", trigger="default", text="收到")
    response, reply = wx.post(client, wx.text("o1", "随便说说"))
    assert b"<Encrypt>" in response.content
    assert b"\xe6\x94\xb6" not in response.content  # 收 never leaves in clear
    assert reply["Content"] == "收到"
    assert reply["ToUserName"] == "o1"


def test_a_get_with_nonsense_parameters_is_a_400_not_a_crash(client):
    response = client.get(wx.URL, {"signature": "x", "timestamp": "abc", "nonce": "1"})
    assert response.status_code == 400


def test_only_get_and_post_are_allowed(client):
    assert client.put(wx.URL).status_code == 405


def test_message_xml_roundtrips_through_the_parser():
    from weizhi.wechat.protocol import parse_message

    message = parse_message(message_xml(wx.text("o1", "a]]>b")))
    assert message.content == "a]]>b"


def test_answering_a_message_costs_one_look_and_one_insert_once_rules_are_in_memory(
    client, django_assert_max_num_queries
):
    from weizhi.wechat.models import ReplyRule

    ReplyRule.objects.create(name="问候", trigger="keyword", keywords="你好", text="您好！")
    wx.post(client, wx.text("o-warm", "你好"))  # loads rules and settings into memory
    # One INSERT … ON CONFLICT DO NOTHING, atomic on its own: no transaction around it.
    with django_assert_max_num_queries(1) as queries:
        _, reply = wx.post(client, wx.text("o-warm", "你好"))
    assert reply["Content"] == "您好！"
    assert "INSERT" in queries.captured_queries[0]["sql"]


# Foreign keys are checked when a transaction commits.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_message_whose_rule_was_deleted_on_the_way_is_kept_without_it():
    from weizhi.wechat.account import current_callback_config
    from weizhi.wechat.callback import storage as services
    from weizhi.wechat.models import ReplyRule
    from weizhi.wechat.protocol import decode_request

    rule = ReplyRule.objects.create(name="问候", trigger="keyword", keywords="你好", text="您好！")
    params, body = wx.sender().seal(message_xml(wx.text("o-gone", "你好")))
    decoded = decode_request(current_callback_config(), params, body)
    outcome = services.route(decoded.message)
    assert outcome.rule_id == rule.pk
    rule.delete()  # an editor deletes the rule between routing and storing
    delivery = services.Delivery(services.message_row(decoded, outcome), decoded.message, outcome)
    services.store([delivery])
    stored = InboundMessage.objects.get()
    assert stored.rule_id is None
    assert stored.reply["content"] == "您好！"  # answered as routed
    assert delivery.reply.content == "您好！"


def test_a_follow_costs_the_message_insert_and_one_follower_upsert(
    client, django_assert_max_num_queries
):
    wx.post(client, wx.text("o-warm", "预热"))
    with django_assert_max_num_queries(7) as queries:
        wx.post(client, wx.event("o-new", "subscribe"))
    assert not any("referenceindex" in q["sql"] for q in queries.captured_queries)


def _job_event_xml(openid: str, body: str) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{wx.ACCOUNT_ID}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[event]]></MsgType>{body}</xml>"
    )


def _post_xml(client, xml: str):
    params, body = wx.sender().seal(xml)
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.post(f"{wx.URL}?{query}", data=body, content_type="text/xml")


def test_wechats_publish_report_through_the_callback_completes_the_send(
    client, account_on_fake, home, django_capture_on_commit_callbacks
):
    from tests import factories
    from weizhi.wechat.publishing.services import publish_to_wechat
    from weizhi.wechat.records.models import WeChatSend

    page = factories.article(title="发布测试", cover=factories.image("封面"))
    with django_capture_on_commit_callbacks(execute=True):
        send = publish_to_wechat(page, "publish")
    send.refresh_from_db()
    assert send.status == WeChatSend.Status.SUBMITTED, send.message
    report = (
        "<Event><![CDATA[PUBLISHJOBFINISH]]></Event><PublishEventInfo>"
        f"<publish_id>{send.publish_id}</publish_id><publish_status>0</publish_status>"
        "<article_id><![CDATA[A1]]></article_id><article_detail><count>1</count><item>"
        "<idx>1</idx><article_url><![CDATA[https://mp.weixin.qq.com/s/x]]></article_url>"
        "</item></article_detail></PublishEventInfo>"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_xml(client, _job_event_xml("gh_sys", report))
    assert response.status_code == 200
    send.refresh_from_db()
    assert send.status == WeChatSend.Status.SUCCEEDED
    assert send.article_url == "https://mp.weixin.qq.com/s/x"
    assert InboundMessage.objects.get().event == "PUBLISHJOBFINISH"


def test_a_mass_send_report_for_a_send_we_do_not_know_is_kept_and_ignored(
    client, django_capture_on_commit_callbacks
):
    report = (
        "<Event><![CDATA[MASSSENDJOBFINISH]]></Event><MsgID>999</MsgID>"
        "<Status><![CDATA[send success]]></Status><TotalCount>1</TotalCount>"
        "<FilterCount>1</FilterCount><SentCount>1</SentCount><ErrorCount>0</ErrorCount>"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_xml(client, _job_event_xml("gh_sys", report))
    assert response.status_code == 200
    assert InboundMessage.objects.get().event == "MASSSENDJOBFINISH"


def wsgi_post(query: str, body: bytes, **environ) -> tuple[str, dict, bytes]:
    return wsgi_entry.call(
        "POST", wx.URL, body, QUERY_STRING=query, CONTENT_TYPE="text/xml", **environ
    )


def test_the_wsgi_entry_answers_a_message_like_the_view_and_stores_it_once():
    from weizhi.wechat.models import ReplyRule

    ReplyRule.objects.create(name="问候", trigger="keyword", keywords="你好", text="您好！")
    via = wx.sender()
    params, body = via.seal(message_xml(wx.text("o-fast", "你好")))
    query = "&".join(f"{k}={v}" for k, v in params.items())
    status, headers, answer = wsgi_post(query, body)
    assert status == "200 OK"
    assert headers["Content-Type"].startswith("application/xml")
    assert via.open_reply(answer)["Content"] == "您好！"
    assert wsgi_post(query, body)[0] == "200 OK"  # a retry with the same signature
    stored = InboundMessage.objects.get()
    assert stored.duplicates == 1


def test_the_wsgi_entry_refuses_bad_requests_in_plain_text():
    params, body = wx.sender().seal("<xml/>")
    query = "&".join(f"{k}={v}" for k, v in params.items())
    assert wsgi_post(query, b"<html/>")[0] == "400 Bad Request"
    assert wsgi_post("timestamp=1&nonce=1&signature=x", body)[0].startswith(("400", "403"))
    assert wsgi_post(query, body, CONTENT_LENGTH="abc")[0] == "400 Bad Request"
    assert wsgi_post(query, body, CONTENT_LENGTH=str(10**7))[0] == "413 Payload Too Large"
    assert not InboundMessage.objects.exists()


def test_the_fast_path_checks_a_connection_only_after_it_sat_idle(db):
    from django.db import connection

    from weizhi.core import steadyconn

    connection.ensure_connection()
    connection.weizhi_used_at = time.monotonic()
    steadyconn.before_work()
    assert connection.health_check_done  # busy: no SELECT 1 round trip before this message
    connection.weizhi_used_at = time.monotonic() - steadyconn.HEALTHY_FOR - 1
    steadyconn.before_work()
    assert not connection.health_check_done  # idle a while: checked before its first query
    connection.health_check_done = True


PREVIOUS_AES_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"


@pytest.fixture
def rotating_keys(settings):
    """A safe-mode account in the middle of changing its EncodingAESKey."""
    settings.WECHAT_APP_ID = APP_ID
    settings.WECHAT_TOKEN = "spamtest"
    settings.WECHAT_ENCODING_AES_KEY = AES_KEY
    settings.WECHAT_PREVIOUS_AES_KEY = PREVIOUS_AES_KEY
    settings.WECHAT_MESSAGE_MODE = "safe"
    forget_account()
    yield
    forget_account()


def test_a_message_sealed_with_the_previous_key_is_answered_with_that_key(client, rotating_keys):
    from weizhi.wechat.models import ReplyRule
    from weizhi.wechat.protocol import DecryptionError

    ReplyRule.objects.create(name="问候", trigger="keyword", keywords="你好", text="您好！")
    old = Sender(token="spamtest", mode=Mode.SAFE, crypto=MessageCrypto(PREVIOUS_AES_KEY, APP_ID))
    new = Sender(token="spamtest", mode=Mode.SAFE, crypto=MessageCrypto(AES_KEY, APP_ID))
    message = wx.text("o-rotate", "你好")
    for _ in range(2):  # the first delivery, then WeChat's retry answered from the stored reply
        response, reply = wx.post(client, message, via=old)
        assert response.status_code == 200
        assert reply["Content"] == "您好！"
        with pytest.raises(DecryptionError):
            new.open_reply(response.content)
    assert InboundMessage.objects.get().duplicates == 1
    _, reply = wx.post(client, wx.text("o-rotate", "你好"), via=new)
    assert reply["Content"] == "您好！"  # a message under the new key: the new key answers


def _laid_out(fields: dict[str, str | int]) -> str:
    """A message as some pushes write it: every value on lines of its own, inside and outside
    its CDATA section (numbers bare, between newlines)."""
    body = "".join(
        f"\n  <{tag}>\n{value}\n  </{tag}>"
        if isinstance(value, int)
        else f"\n  <{tag}>\n    <![CDATA[\n{value}\n]]>\n  </{tag}>"
        for tag, value in fields.items()
    )
    return f"<xml>{body}\n</xml>"


def test_whitespace_around_identifiers_is_not_part_of_them(client):
    from weizhi.wechat.models import ReplyRule

    ReplyRule.objects.create(name="联系我们", trigger="click", keywords="CONTACT", text="电话")
    via = wx.sender()
    for name, key in (("subscribe", ""), ("CLICK", "CONTACT")):
        message = wx.event("o-spaced", name, EventKey=key)
        params, body = via.seal(_laid_out(message))
        query = "&".join(f"{k}={v}" for k, v in params.items())
        response = client.post(f"{wx.URL}?{query}", data=body, content_type="text/xml")
        assert response.status_code == 200
    assert Follower.objects.get().openid == "o-spaced"
    reply = via.open_reply(response.content)
    assert reply["Content"] == "电话"  # the EventKey matched its rule
    assert reply["ToUserName"] == "o-spaced"
    assert set(InboundMessage.objects.values_list("openid", flat=True)) == {"o-spaced"}


def test_a_follower_text_keeps_its_own_whitespace_but_not_the_layout_around_it(client):
    xml = (
        f"<xml><ToUserName><![CDATA[{wx.ACCOUNT_ID}]]></ToUserName>"
        "<FromUserName><![CDATA[o-text]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        "<Content>\n    <![CDATA[  第一行\n第二行\n]]>\n  </Content><MsgId>123456</MsgId></xml>"
    )
    assert _post_xml(client, xml).status_code == 200
    assert InboundMessage.objects.get().content == "  第一行\n第二行\n"


@pytest.mark.parametrize(
    "create_time", ["99999999999999999999", "4294967296", "-1", "١٢٣", "9" * 5000]
)
def test_a_create_time_that_is_no_unix_time_is_a_400(client, create_time, caplog):
    message = {**wx.text("o-time", "你好"), "CreateTime": create_time}
    response, _ = wx.post(client, message)
    assert response.status_code == 400
    assert "CreateTime is not a Unix time" in caplog.text
    assert not InboundMessage.objects.exists()


def test_a_follower_text_in_wechats_own_form_is_kept_exactly():
    from weizhi.wechat.protocol import parse_message

    message = parse_message(message_xml(wx.text(" o1\n", "\n  你好 \n")))
    assert message.content == "\n  你好 \n"
    assert message.from_user == "o1"


@pytest.mark.parametrize(
    ("msg_type", "extra"),
    [
        ("event", {"Event": "MASSSENDJOBFINISH", "MsgID": "1", "SentCount": "99999999999"}),
        ("location", {"Location_X": "nan", "Location_Y": "116.3", "Label": "北京"}),
        ("location", {"Location_X": "39.9", "Location_Y": "1e999", "Label": "北京"}),
    ],
    ids=["count", "nan", "infinity"],
)
def test_a_number_out_of_range_is_a_400(client, msg_type, extra, caplog):
    response, _ = wx.post(client, wx.fields("o-num", msg_type, **extra))
    assert response.status_code == 400
    assert "is out of range" in caplog.text
    assert not InboundMessage.objects.exists()


REFUSE_INSERTS = {
    "sqlite": [
        "CREATE TRIGGER refuse_messages BEFORE INSERT ON wechat_inboundmessage"
        " BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_messages() RETURNS trigger AS"
        " $$ BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER refuse_messages BEFORE INSERT ON wechat_inboundmessage"
        " FOR EACH ROW EXECUTE FUNCTION refuse_messages()",
    ],
}
ALLOW_INSERTS = {
    "sqlite": ["DROP TRIGGER refuse_messages"],
    "postgresql": [
        "DROP TRIGGER refuse_messages ON wechat_inboundmessage",
        "DROP FUNCTION refuse_messages()",
    ],
}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_message_the_database_refuses_is_answered_busy_so_that_wechat_sends_it_again(
    client, caplog
):
    """Never "success" for a message that is not kept: WeChat retries a 503, and the retry,
    once the database is back, is stored and answered."""
    from django.db import connection

    from weizhi.wechat.models import ReplyRule

    ReplyRule.objects.create(name="问候", trigger="keyword", keywords="你好", text="您好！")
    message = wx.text("o-refused", "你好")
    with connection.cursor() as cursor:
        for sql in REFUSE_INSERTS[connection.vendor]:
            cursor.execute(sql)
    try:
        response, _ = wx.post(client, message)
    finally:
        with connection.cursor() as cursor:
            for sql in ALLOW_INSERTS[connection.vendor]:
                cursor.execute(sql)
    assert response.status_code == 503
    assert response.content == b"busy"
    assert not InboundMessage.objects.exists()
    assert "could not store or answer" in caplog.text
    response, reply = wx.post(client, message)  # WeChat's retry
    assert response.status_code == 200
    assert reply["Content"] == "您好！"
    assert InboundMessage.objects.get().duplicates == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_the_event_loop_a_message_is_answered_once_stored_and_busy_when_refused(
    monkeypatch, caplog
):
    """The RSGI door (fastpath.answer_on_loop): routed on a web thread, stored on the writer
    thread, answered by the coroutine; a write the database refuses answers 503."""
    from django.db import connection, connections

    from weizhi.core.fastinsert import MAX_ROWS
    from weizhi.core.groupcommit import BackgroundCommit
    from weizhi.wechat.callback import fastpath, storage
    from weizhi.wechat.models import ReplyRule

    def close_after(call, *args):  # threads of this test leave no connection open
        try:
            return call(*args)
        finally:
            connections.close_all()

    writer = BackgroundCommit(
        lambda batch: close_after(storage._store_in_background, batch),
        name="test-callback-writer",
        max_batch=MAX_ROWS,
    )
    monkeypatch.setattr(storage, "_background", writer)

    async def run(call, *args):
        return await asyncio.to_thread(close_after, call, *args)

    ReplyRule.objects.create(name="问候", trigger="keyword", keywords="你好", text="您好！")
    via = wx.sender()
    params, body = via.seal(message_xml(wx.text("o-loop", "你好")))

    def deliver(rid: str = "feedc0de") -> tuple[int, dict, bytes]:
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": wx.URL,
            "QUERY_STRING": "&".join(f"{k}={v}" for k, v in params.items()),
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "HTTP_X_REQUEST_ID": rid,
        }
        status, headers, answer = run_coroutine(fastpath.answer_on_loop(environ, run))
        return status, dict(headers), answer

    with connection.cursor() as cursor:
        for sql in REFUSE_INSERTS[connection.vendor]:
            cursor.execute(sql)
    try:
        refused = deliver()
    finally:
        with connection.cursor() as cursor:
            for sql in ALLOW_INSERTS[connection.vendor]:
                cursor.execute(sql)
    assert refused[0] == 503 and refused[2] == b"busy"
    assert not InboundMessage.objects.exists()
    assert "could not store or answer" in caplog.text
    status, headers, answer = deliver()  # WeChat's retry, the database back
    assert status == 200
    assert headers["Content-Type"].startswith("application/xml")
    assert headers["Content-Length"] == str(len(answer))
    assert headers["X-Request-ID"] == "feedc0de"
    assert via.open_reply(answer)["Content"] == "您好！"
    assert InboundMessage.objects.get().openid == "o-loop"

    # The writer thread logs on behalf of the request it stores: a retry's line has its id.
    lines: list[tuple[str, str]] = []

    class Lines(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append((record.getMessage(), request_id_var.get()))

    handler = Lines(level=logging.INFO)
    storage.log.addHandler(handler)
    monkeypatch.setattr(storage.log, "level", logging.INFO)
    try:
        status, _, answer = deliver(rid="c0ffee00")
    finally:
        storage.log.removeHandler(handler)
    assert status == 200 and via.open_reply(answer)["Content"] == "您好！"
    assert [rid for line, rid in lines if "answered from the first delivery" in line] == [
        "c0ffee00"
    ]
