"""After WeChat's 48 hours the office's answer goes out as a 订阅通知 where the account has a
template, against the fake WeChat API; without a template nothing changes."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from tests import wechat_sender as wx
from tests.test_audience_support import member, tree, user_in
from tests.test_inbox import sign_in
from weizhi.audience.models import Follower
from weizhi.inbox import channels
from weizhi.inbox import services as inbox
from weizhi.inbox.models import Item, Message
from weizhi.wechat.api import messages
from weizhi.wechat.api.errors import WeChatAPIError
from weizhi.wechat.inbox.bridge import bridge_batch
from weizhi.wechat.inbox.sender import send_reply
from weizhi.wechat.inbox.subscribe import fit, parse_fields

pytestmark = pytest.mark.django_db
TEMPLATE = "tpl-reply-001"
BIZSEND = "/cgi-bin/message/subscribe/bizsend"
QUESTION = "宿舍楼三楼的热水器坏了三天了，请问什么时候能修好？"
ANSWER = "您好，后勤已安排师傅明天上午上门维修，修好后会在楼道群里通知，给您添麻烦了。"


@pytest.fixture(autouse=True)
def wechat_sender():
    before = channels._senders.get(channels.WECHAT)
    channels.register_sender(channels.WECHAT, send_reply)
    yield
    if before is None:
        channels.unregister_sender(channels.WECHAT)
    else:
        channels.register_sender(channels.WECHAT, before)


@pytest.fixture
def template(settings):
    settings.WECHAT_REPLY_TEMPLATE_ID = TEMPLATE
    settings.WECHAT_REPLY_TEMPLATE_FIELDS = "thing1:title,thing2:reply,time3:time"


@pytest.fixture
def moderator():
    Group.objects.get_or_create(name="留言管理员")
    return user_in("留言管理员", "moderator")


def committed(call, *args, **kwargs):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return call(*args, **kwargs)


def late_item(client, fake, openid: str) -> Item:
    """A follower's question that has waited past WeChat's 48 hours."""
    fake.state.add_user(openid)
    wx.post(client, wx.text(openid, QUESTION))
    committed(bridge_batch)
    item = Item.objects.get(follower__openid=openid)
    Message.objects.filter(item=item).update(at=timezone.now() - timedelta(hours=49))
    return item


def answer(item: Item, moderator) -> Message:
    reply = committed(inbox.reply, item, by=moderator, text=ANSWER)
    reply.refresh_from_db()
    return reply


def test_after_48_hours_a_subscribed_follower_gets_the_answer_as_a_subscription_message(
    client, account_on_fake, moderator, template
):
    item = late_item(client, account_on_fake, "o-sub")
    account_on_fake.state.subscribe("o-sub", TEMPLATE)
    reply = answer(item, moderator)
    assert reply.delivery == Message.Delivery.ACCEPTED, reply.delivery_detail
    assert "订阅通知" in reply.delivery_detail and reply.sent_by == moderator
    assert account_on_fake.state.custom_messages == []
    [sent] = account_on_fake.state.subscribe_messages
    assert sent["touser"] == "o-sub" and sent["template_id"] == TEMPLATE
    assert sent["page"] == settings.SITE_URL + reverse("inbox:mine")
    data = {key: entry["value"] for key, entry in sent["data"].items()}
    assert data["thing1"] == QUESTION[:19] + "…" and data["thing2"] == ANSWER[:19] + "…"
    assert data["time3"] == f"{timezone.localtime():%Y年%m月%d日} " + data["time3"][-5:]


def test_a_follower_who_did_not_subscribe_is_refused_and_the_reason_recorded(
    client, account_on_fake, moderator, template
):
    item = late_item(client, account_on_fake, "o-nosub")
    reply = answer(item, moderator)
    assert reply.delivery == Message.Delivery.REFUSED
    assert "48 小时" in reply.delivery_detail and "没有订阅" in reply.delivery_detail
    assert account_on_fake.count(BIZSEND) == 1
    assert account_on_fake.state.subscribe_messages == []


def test_a_refused_subscription_still_leaves_the_answer_on_my_messages(
    client, account_on_fake, moderator, template
):
    wang = member(tree()["first"], "3001", name="王芳")
    Follower.objects.create(openid="o-wang", member=wang)
    item = late_item(client, account_on_fake, "o-wang")
    reply = answer(item, moderator)
    assert reply.delivery == Message.Delivery.REFUSED
    assert "我的留言" in reply.delivery_detail
    sign_in(client, wang)
    page = client.get(reverse("inbox:mine")).content.decode()
    assert ANSWER in page


def test_a_customer_service_send_refused_as_out_of_the_window_falls_back_to_subscription(
    client, account_on_fake, moderator, template
):
    account_on_fake.state.add_user("o-edge")
    wx.post(client, wx.text("o-edge", QUESTION))
    committed(bridge_batch)
    account_on_fake.state.subscribe("o-edge", TEMPLATE)
    account_on_fake.fail_next("/cgi-bin/message/custom/send", 45015)
    reply = answer(Item.objects.get(), moderator)
    assert reply.delivery == Message.Delivery.ACCEPTED, reply.delivery_detail
    assert len(account_on_fake.state.subscribe_messages) == 1


def test_other_refusals_within_the_window_do_not_turn_into_a_subscription(
    client, account_on_fake, moderator, template
):
    account_on_fake.state.add_user("o-busy")
    wx.post(client, wx.text("o-busy", QUESTION))
    committed(bridge_batch)
    account_on_fake.state.subscribe("o-busy", TEMPLATE)
    account_on_fake.fail_next("/cgi-bin/message/custom/send", 45047)
    reply = answer(Item.objects.get(), moderator)
    assert reply.delivery == Message.Delivery.REFUSED
    assert account_on_fake.count(BIZSEND) == 0


def test_without_a_template_nothing_is_sent_after_48_hours(client, account_on_fake, moderator):
    item = late_item(client, account_on_fake, "o-plain")
    account_on_fake.state.subscribe("o-plain", TEMPLATE)
    reply = answer(item, moderator)
    assert reply.delivery == Message.Delivery.REFUSED and "48 小时" in reply.delivery_detail
    assert account_on_fake.count(BIZSEND) == 0


def test_the_rating_link_after_48_hours_opens_the_rating_page(
    client, account_on_fake, moderator, template
):
    item = late_item(client, account_on_fake, "o-rate")
    account_on_fake.state.subscribe("o-rate", TEMPLATE)
    answer(item, moderator)
    committed(inbox.resolve, Item.objects.get(), by=moderator)
    rating = account_on_fake.state.subscribe_messages[-1]
    assert len(account_on_fake.state.subscribe_messages) == 2
    assert rating["page"].startswith(settings.SITE_URL + "/me/inbox/rate/")
    assert "<a" not in rating["data"]["thing2"]["value"]
    page = client.get(rating["page"].replace(settings.SITE_URL, ""))
    assert page.status_code == 200
    assert item.transitions.filter(action="ask_rating", detail__startswith="已发送").exists()


def test_the_fake_refuses_values_longer_than_wechat_allows(account_on_fake):
    account_on_fake.state.add_user("o-long")
    account_on_fake.state.subscribe("o-long", TEMPLATE)
    with pytest.raises(WeChatAPIError) as refused:
        messages.send_subscribe_message("o-long", TEMPLATE, {"thing1": {"value": "长" * 21}})
    assert refused.value.errcode == 47003 and "模板参数" in refused.value.operator_message
    messages.send_subscribe_message("o-long", TEMPLATE, {"thing1": {"value": "长" * 20}})
    with pytest.raises(WeChatAPIError) as refused:
        messages.send_subscribe_message("o-long", "tpl-other", {"thing1": {"value": "好"}})
    assert refused.value.errcode == 43101


def test_the_field_mapping_is_checked_and_values_are_cut_to_fit():
    assert parse_fields("thing1:title, time3:time") == {"title": "thing1", "time": "time3"}
    bad_specs = ("", "thing1", "thing1:who", "thing1:title,thing2:title", "thing1:time")
    for bad in (*bad_specs, "time2:reply"):
        with pytest.raises(ValueError):
            parse_fields(bad)
    assert fit("thing1", "一" * 25) == "一" * 19 + "…"
    assert fit("phrase2", "处理完毕了啊") == "处理完毕…"
    assert fit("thing1", " 短\n文本 ") == "短 文本"


def test_a_manual_reply_from_received_messages_never_turns_into_a_subscription(
    client, account_on_fake, moderator, template
):
    from weizhi.wechat.inbox.manual import reply_to_follower
    from weizhi.wechat.models import InboundMessage

    account_on_fake.state.add_user("o-manual")
    account_on_fake.state.subscribe("o-manual", TEMPLATE)
    wx.post(client, wx.text("o-manual", QUESTION))
    account_on_fake.fail_next("/cgi-bin/message/custom/send", 45015)
    sent = reply_to_follower(InboundMessage.objects.get(), ANSWER, moderator)
    assert not sent.delivered and "48 小时" in sent.detail
    assert account_on_fake.count(BIZSEND) == 0


def test_a_bad_field_mapping_stops_start_up_naming_the_variable(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(WEIZHI_VAR_DIR=str(tmp_path), WECHAT_REPLY_TEMPLATE_FIELDS="thing1:who")
    code = "import django; django.setup()"
    env["DJANGO_SETTINGS_MODULE"] = "weizhi.settings"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode != 0 and "WECHAT_REPLY_TEMPLATE_FIELDS" in done.stderr
