"""人工回复 from 收到的消息: a customer-service message within WeChat's 48 hours, a plain
explanation after them, a record of every reply, and only for those who answer followers."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from tests.base import superuser, user_in
from weizhi.wechat.models import InboundMessage, ManualReply

pytestmark = pytest.mark.django_db

LIST = "/admin/snippets/wechat/inboundmessage/"


def inbound(openid: str = "o-fan", content: str = "食堂几点开门？", hours_ago: float = 1):
    row = InboundMessage.objects.create(
        dedup_key=f"{openid}-{content}-{hours_ago}",
        openid=openid,
        msg_type="text",
        content=content,
        sent_at=timezone.now(),
        raw_xml="<xml/>",
    )
    at = timezone.now() - timedelta(hours=hours_ago)
    InboundMessage.objects.filter(pk=row.pk).update(received_at=at)
    return row


def reply_url(row) -> str:
    return reverse("wechat_manual_reply", args=[row.pk])


@pytest.mark.parametrize("role", ["编辑", "留言管理员"])
def test_a_reply_within_48_hours_goes_out_as_a_customer_service_message(
    client, account_on_fake, role
):
    account_on_fake.state.add_user("o-fan")
    row = inbound(hours_ago=47)
    user = user_in(role)
    client.force_login(user)
    assert reply_url(row) in client.get(LIST).content.decode()
    page = client.get(reply_url(row)).content.decode()
    assert "食堂几点开门" in page and "发送回复" in page
    response = client.post(reply_url(row), {"text": "  早上六点半开门。 "}, follow=True)
    assert "回复已通过微信客服消息发给粉丝" in response.content.decode()
    [sent] = account_on_fake.state.custom_messages
    assert sent["touser"] == "o-fan" and sent["text"]["content"] == "早上六点半开门。"
    reply = ManualReply.objects.get()
    assert (reply.user, reply.message, reply.delivered) == (user, row, True)
    assert "早上六点半开门" in client.get(reply_url(row)).content.decode()


def test_after_48_hours_the_page_explains_instead_of_offering_the_form(client, account_on_fake):
    account_on_fake.state.add_user("o-fan")
    row = inbound(hours_ago=49)
    client.force_login(user_in("留言管理员"))
    page = client.get(reply_url(row)).content.decode()
    assert "已超过微信规定的 48 小时" in page and "发送回复" not in page
    response = client.post(reply_url(row), {"text": "迟到的回复"})
    assert response.status_code == 400
    assert not account_on_fake.state.custom_messages and not ManualReply.objects.exists()


def test_a_later_message_of_the_follower_opens_the_window_for_an_older_one(client, account_on_fake):
    account_on_fake.state.add_user("o-fan")
    old = inbound(content="上周的问题", hours_ago=100)
    inbound(content="还在吗", hours_ago=2)
    client.force_login(user_in("编辑"))
    client.post(reply_url(old), {"text": "在的，上周的问题已解决。"})
    assert len(account_on_fake.state.custom_messages) == 1


def test_a_refusal_by_wechat_is_recorded_and_said_in_chinese(client, account_on_fake):
    account_on_fake.state.add_user("o-fan")
    account_on_fake.fail_next("/cgi-bin/message/custom/send", 45047)
    row = inbound()
    client.force_login(user_in("编辑"))
    response = client.post(reply_url(row), {"text": "您好"}, follow=True)
    assert "回复没有发出：微信未接受：给该粉丝发送的客服消息条数已达上限" in (
        response.content.decode()
    )
    reply = ManualReply.objects.get()
    assert not reply.delivered and "条数已达上限" in reply.detail


@pytest.mark.parametrize(
    ("text", "error"), [("   ", "请填写回复内容"), ("字" * 601, "回复最多 600 个字")]
)
def test_bad_input_is_refused_in_chinese_and_nothing_is_sent(client, account_on_fake, text, error):
    row = inbound()
    client.force_login(user_in("编辑"))
    response = client.post(reply_url(row), {"text": text})
    assert response.status_code == 200 and error in response.content.decode()
    assert not account_on_fake.state.custom_messages and not ManualReply.objects.exists()


@pytest.mark.parametrize("role", ["初审", "终审", "支部书记", "留言承办人"])
def test_roles_that_do_not_answer_followers_cannot_reply(client, account_on_fake, role):
    row = inbound()
    client.force_login(user_in(role))
    for response in (client.get(reply_url(row)), client.post(reply_url(row), {"text": "您好"})):
        assert response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    assert not account_on_fake.state.custom_messages and not ManualReply.objects.exists()


def test_a_stranger_and_an_anonymous_visitor_cannot_reply(client, account_on_fake):
    row = inbound()
    response = client.post(reply_url(row), {"text": "您好"})
    assert response.status_code == 302 and "/login/" in response.url
    stranger = get_user_model().objects.create_user("stranger", password="p4ssw0rd-测试")
    client.force_login(stranger)
    assert client.post(reply_url(row), {"text": "您好"}).status_code in (302, 403)
    assert not ManualReply.objects.exists()


def test_the_superuser_may_reply_and_a_missing_message_is_a_404(client, account_on_fake):
    client.force_login(superuser())
    assert client.get(reverse("wechat_manual_reply", args=[999999])).status_code == 404
