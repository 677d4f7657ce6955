"""Followers' messages become inbox items, and the office's answers reach them through the
(fake) WeChat API within WeChat's 48-hour window."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import TestCase
from django.utils import timezone

from tests import wechat_sender as wx
from tests.test_audience_support import user_in
from weizhi.inbox import channels
from weizhi.inbox import services as inbox
from weizhi.inbox.models import Item, Message
from weizhi.wechat.inbox.bridge import LOOK_BEHIND, bridge_batch, bridge_to_inbox
from weizhi.wechat.inbox.sender import send_reply
from weizhi.wechat.models import InboundMessage, InboxCursor, ReplyRule

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def wechat_sender():
    """The sender the WeChat app registers at start-up (another test may have replaced it)."""
    before = channels._senders.get(channels.WECHAT)
    channels.register_sender(channels.WECHAT, send_reply)
    yield
    if before is None:
        channels.unregister_sender(channels.WECHAT)
    else:
        channels.register_sender(channels.WECHAT, before)


@pytest.fixture
def moderator():
    Group.objects.get_or_create(name="留言管理员")
    return user_in("留言管理员", "moderator")


@pytest.fixture
def party_rule(db):
    return ReplyRule.objects.create(
        name="党章", trigger="keyword", keywords="党章", reply_type="text", text="党章全文"
    )


def committed(call, *args, **kwargs):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return call(*args, **kwargs)


def test_a_question_sent_in_the_chat_becomes_an_inbox_item_once(client, account_on_fake):
    wx.post(client, wx.text("o-zhang", "食堂什么时候恢复早餐？"))
    wx.post(client, wx.fields("o-zhang", "image", PicUrl="http://x/p.jpg", MediaId="m1"))
    assert committed(bridge_batch) == 2
    item = Item.objects.get()
    assert item.follower.openid == "o-zhang"
    texts = list(item.messages.order_by("pk").values_list("text", "kind", "channel"))
    assert texts == [("食堂什么时候恢复早餐？", "text", "wechat"), ("[图片]", "image", "wechat")]
    # Read again (the look-behind): nothing is taken twice.
    committed(bridge_batch)
    assert Message.objects.filter(direction=Message.Direction.IN).count() == 2


def test_keyword_commands_and_events_are_not_messages_to_the_office(
    client, account_on_fake, party_rule
):
    wx.post(client, wx.text("o-li", "党章"))
    wx.post(client, wx.event("o-li", "subscribe"))
    wx.post(client, wx.text("o-li", "宿舍热水器坏了三天了"))
    committed(bridge_batch)
    assert list(Message.objects.values_list("text", flat=True)) == ["宿舍热水器坏了三天了"]


def test_a_row_committed_behind_the_cursor_is_still_read(client, account_on_fake):
    wx.post(client, wx.text("o-late", "第一条"))
    committed(bridge_batch)
    first = InboundMessage.objects.get()
    # As if a row with a smaller id had committed after the bridge read past it.
    InboxCursor.objects.filter(name="inbox").update(position=first.pk + LOOK_BEHIND // 2)
    wx.post(client, wx.text("o-late", "第二条"))
    second = InboundMessage.objects.latest("pk")
    InboundMessage.objects.filter(pk=second.pk).update(id=first.pk + 1)
    committed(bridge_batch)
    assert set(Message.objects.values_list("text", flat=True)) == {"第一条", "第二条"}


def test_the_periodic_job_drains_what_waits(client, account_on_fake):
    for n in range(3):
        wx.post(client, wx.text(f"o-{n}", f"问题{n}"))
    assert committed(bridge_to_inbox.call) == 3
    assert Item.objects.count() == 3


def test_an_answer_within_48_hours_goes_out_as_a_customer_service_message(
    client, account_on_fake, moderator
):
    account_on_fake.state.add_user("o-wang")
    wx.post(client, wx.text("o-wang", "请问党费怎么交？"))
    committed(bridge_batch)
    item = Item.objects.get()
    reply = committed(inbox.reply, item, by=moderator, text="每月在支部交纳，详见党建栏目。")
    reply.refresh_from_db()
    assert reply.delivery == Message.Delivery.ACCEPTED, reply.delivery_detail
    sent = account_on_fake.state.custom_messages
    assert [(m["touser"], m["text"]["content"]) for m in sent] == [
        ("o-wang", "每月在支部交纳，详见党建栏目。")
    ]


def test_after_48_hours_nothing_is_sent_and_the_reason_is_recorded(
    client, account_on_fake, moderator
):
    wx.post(client, wx.text("o-old", "有人吗"))
    committed(bridge_batch)
    item = Item.objects.get()
    Message.objects.filter(item=item).update(at=timezone.now() - timedelta(hours=49))
    reply = committed(inbox.reply, item, by=moderator, text="您好。")
    reply.refresh_from_db()
    assert reply.delivery == Message.Delivery.REFUSED
    assert "48 小时" in reply.delivery_detail
    assert account_on_fake.state.custom_messages == []


def test_a_refusal_by_wechat_is_recorded_in_words_an_officer_understands(
    client, account_on_fake, moderator
):
    account_on_fake.state.add_user("o-gone")
    wx.post(client, wx.text("o-gone", "你好"))
    committed(bridge_batch)
    account_on_fake.fail_next("/cgi-bin/message/custom/send", 45015)
    reply = committed(inbox.reply, Item.objects.get(), by=moderator, text="您好。")
    reply.refresh_from_db()
    assert reply.delivery == Message.Delivery.REFUSED
    assert reply.delivery_detail.startswith("微信未接受：")
    assert "45015" not in reply.delivery_detail or "回复时间" in reply.delivery_detail


def test_after_resolution_the_follower_gets_the_rating_link_in_the_chat(
    client, account_on_fake, moderator
):
    account_on_fake.state.add_user("o-rate")
    wx.post(client, wx.text("o-rate", "澡堂的热水什么时候恢复？"))
    committed(bridge_batch)
    item = Item.objects.get()
    committed(inbox.reply, item, by=moderator, text="明天上午恢复。")
    committed(inbox.resolve, Item.objects.get(), by=moderator)
    sent = [m["text"]["content"] for m in account_on_fake.state.custom_messages]
    assert len(sent) == 2 and "请点此评价" in sent[1]
    link = sent[1].split('href="')[1].split('"')[0]
    page = client.get(link.replace(settings.SITE_URL, ""))
    assert page.status_code == 200 and "满意" in page.content.decode()
    client.post(link.replace(settings.SITE_URL, ""), {"value": "unsatisfied"})
    assert Item.objects.get().status != "resolved"  # 不满意 reopens it
    assert item.transitions.filter(action="ask_rating", detail__startswith="已发送").exists()


def test_a_member_page_item_is_not_sent_a_rating_link(moderator):
    from tests.test_audience_support import member, tree

    wang = member(tree()["first"], "3001", name="王芳")
    item = inbox.receive(wang, channel="web", text="你好").item
    committed(inbox.reply, item, by=moderator, text="您好。")
    committed(inbox.resolve, Item.objects.get(), by=moderator)
    assert not item.transitions.filter(action="ask_rating").exists()


def test_an_installation_with_history_starts_the_bridge_at_its_newest_message(
    client, account_on_fake
):
    from importlib import import_module

    from django.apps import apps

    wx.post(client, wx.text("o-old", "去年的留言"))
    InboxCursor.objects.all().delete()  # as before the inbox existed
    import_module("weizhi.wechat.migrations.0014_inbox_cursor_from_now").start_from_now(apps, None)
    wx.post(client, wx.text("o-new", "今天的留言"))
    committed(bridge_batch)
    assert list(Message.objects.values_list("text", flat=True)) == ["今天的留言"]
