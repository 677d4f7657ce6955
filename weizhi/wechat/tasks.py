"""Slow answers: work a reply rule started, finished here and sent as a customer-service
message (WeChat allows those within 48 hours of the follower's last message)."""

import logging

from django_tasks import task

from . import actions
from .models import InboundMessage
from .protocol import Message, NewsReply, Reply, TextReply, parse_message

log = logging.getLogger(__name__)


def custom_message(reply: Reply) -> dict:
    """A reply as the payload of a customer-service message."""
    from weizhi.wechat.outbound import api

    if isinstance(reply, NewsReply):
        a = reply.articles[0]
        return api.news_message(a.title, a.description, a.url, a.pic_url)
    if isinstance(reply, TextReply):
        return api.text_message(reply.content)
    raise ValueError(f"no customer-service form for {type(reply).__name__}")


@task()
def answer_later(inbound_id: int, action: str, query: str, column_id: int | None) -> str:
    from weizhi.wechat.outbound.api import send_custom_message

    from .services import reply_to_json

    row = InboundMessage.objects.get(pk=inbound_id)
    message: Message = parse_message(row.raw_xml.encode())
    reply = actions.finish(actions.Later(action, query, column_id), message)
    try:
        send_custom_message(row.openid, custom_message(reply))
    except Exception:
        log.exception("could not send the late answer to inbound message %s", inbound_id)
        InboundMessage.objects.filter(pk=inbound_id).update(status=InboundMessage.Status.FAILED)
        raise
    InboundMessage.objects.filter(pk=inbound_id).update(
        status=InboundMessage.Status.SENT_LATER, late_reply=reply_to_json(reply)
    )
    return "sent"
