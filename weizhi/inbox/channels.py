"""How replies leave the inbox: one sender per channel, registered by the app that owns it.

The member pages' channel ("web") is built in: its replies are shown on 我的留言, so the
channel always accepts them. The WeChat app registers its own sender for "wechat" (the
customer-service API, within WeChat's 48-hour window); until it does, a WeChat reply is
recorded as not delivered, and still shown on 我的留言 when the follower is bound to a member.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

log = logging.getLogger(__name__)

WEB = "web"
WECHAT = "wechat"
CHANNEL_NAMES = {WEB: "我的留言", WECHAT: "微信"}
# WeChat lets an account send customer-service messages for 48 hours after the person's last
# message to it.
SERVICE_WINDOW = timedelta(hours=48)


@dataclass(frozen=True)
class OutgoingReply:
    item_id: int
    message_id: int
    channel: str
    text: str
    openid: str  # the follower's, or "" for a member-page item
    member_id: int | None
    last_inbound_at: datetime | None
    summary: str = ""  # the item's, for a channel that shows a title (WeChat's 订阅通知)
    link: str = ""  # where the person reads it in full: 我的留言, or the rating page


@dataclass(frozen=True)
class Delivery:
    accepted: bool
    detail: str


Sender = Callable[[OutgoingReply], Delivery]
_senders: dict[str, Sender] = {}


def register_sender(channel: str, sender: Sender) -> None:
    """Registering a channel again replaces its sender."""
    _senders[channel] = sender


def unregister_sender(channel: str) -> None:
    _senders.pop(channel, None)


def within_service_window(last_inbound_at: datetime | None, now: datetime) -> bool:
    return last_inbound_at is not None and now - last_inbound_at < SERVICE_WINDOW


def web_sender(reply: OutgoingReply) -> Delivery:
    return Delivery(True, "已显示在留言人的“我的留言”页面")


def send(reply: OutgoingReply) -> Delivery:
    sender = _senders.get(reply.channel)
    if sender is None:
        return Delivery(False, f"“{CHANNEL_NAMES.get(reply.channel, reply.channel)}”渠道尚未接入")
    try:
        return sender(reply)
    except Exception:
        log.exception("inbox reply %s: the %s sender failed", reply.message_id, reply.channel)
        return Delivery(False, "发送时出错，请稍后重试或改用电话联系")
