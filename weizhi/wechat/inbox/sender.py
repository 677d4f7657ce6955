"""The office's answers to followers, as customer-service messages (客服消息).

WeChat accepts a customer-service message only within 48 hours of the follower's last
message to the account. Inside that window the answer goes out through the API and WeChat's
answer is recorded; outside it, or when WeChat refuses, the reply is recorded as not
delivered with the reason in words an officer understands — and a follower bound to a member
still finds it on 我的留言.

Where the account allows (a 订阅通知 template in WECHAT_REPLY_TEMPLATE_ID), an answer after the
window — or one WeChat refuses as out of it (45015) — goes out as a subscription message
instead: the item's title, the answer's start and the time, opening 我的留言. WeChat takes it
only from a follower who subscribed to the template (else 43101); either way the outcome is
recorded like any other send, and the answer is on 我的留言.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone
from django.utils.html import strip_tags

from weizhi.inbox.channels import Delivery, OutgoingReply, within_service_window
from weizhi.wechat.api import messages
from weizhi.wechat.api.errors import WeChatAPIError

from .subscribe import parse_fields, template_data

log = logging.getLogger(__name__)

MAX_TEXT = 600  # as a passive text reply: 600 汉字 stay inside WeChat's 2,048 bytes
OUT_OF_WINDOW = 45015
LATE = "已超过微信规定的 48 小时客服消息时限"


def send_reply(reply: OutgoingReply) -> Delivery:
    on_page = "；留言人绑定了党员身份，可在“我的留言”中看到答复" if reply.member_id else ""
    if not reply.openid:
        return Delivery(False, "没有留言人的微信 OpenID，无法发送" + on_page)
    if not within_service_window(reply.last_inbound_at, timezone.now()):
        if may_subscribe(reply):
            return send_subscription(reply, on_page)
        return Delivery(False, LATE + "，公众号无法再主动发消息" + on_page)
    try:
        messages.send_custom_message(reply.openid, messages.text_message(reply.text[:MAX_TEXT]))
    except WeChatAPIError as exc:
        if exc.errcode == OUT_OF_WINDOW and may_subscribe(reply):
            return send_subscription(reply, on_page)
        log.warning("inbox reply %s refused by WeChat: %s", reply.message_id, exc)
        return Delivery(False, f"微信未接受：{exc.operator_message}" + on_page)
    return Delivery(True, "已通过微信客服消息发送")


def may_subscribe(reply: OutgoingReply) -> bool:
    """A 订阅通知 carries 20 characters of the answer, so only with a page holding all of it
    (我的留言, the rating page) — not for a 人工回复 from 收到的消息, which has none."""
    return bool(settings.WECHAT_REPLY_TEMPLATE_ID and reply.link)


def send_subscription(reply: OutgoingReply, on_page: str) -> Delivery:
    """The answer as a 订阅通知, once the customer-service window has closed."""
    data = template_data(
        parse_fields(settings.WECHAT_REPLY_TEMPLATE_FIELDS),
        title=reply.summary or "您的留言",
        reply=strip_tags(reply.text),
        at=timezone.localtime(),
    )
    try:
        messages.send_subscribe_message(
            reply.openid, settings.WECHAT_REPLY_TEMPLATE_ID, data, page=reply.link
        )
    except WeChatAPIError as exc:
        log.warning("inbox reply %s: subscription message refused: %s", reply.message_id, exc)
        refused = f"{LATE}；改发订阅通知，微信未接受：{exc.operator_message}"
        return Delivery(False, refused + on_page)
    return Delivery(True, f"{LATE}，已改发订阅通知，微信已接受")
