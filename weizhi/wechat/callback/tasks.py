"""Slow answers: work a reply rule started, finished here and sent as a customer-service
message (WeChat allows those within 48 hours of the follower's last message)."""

import logging

from weizhi.core.taskqueue import pause_point, task
from weizhi.wechat.api import messages
from weizhi.wechat.api.errors import NETWORK_ERROR, WeChatAPIError
from weizhi.wechat.models import InboundMessage
from weizhi.wechat.protocol import Message, NewsReply, Reply, TextReply, parse_message

from . import actions
from .reply_json import reply_to_json

log = logging.getLogger(__name__)
Status = InboundMessage.Status


def custom_message(reply: Reply) -> dict:
    """A reply as the payload of a customer-service message."""
    if isinstance(reply, NewsReply):
        a = reply.articles[0]
        return messages.news_message(a.title, a.description, a.url, a.pic_url)
    if isinstance(reply, TextReply):
        return messages.text_message(reply.content)
    raise ValueError(f"no customer-service form for {type(reply).__name__}")


def _answer_failed(reason: str, inbound_id: int, *args, **kwargs) -> None:
    """Every attempt failed: the follower gets no answer; the message says so."""
    log.error("late answer to inbound message %s failed for good: %s", inbound_id, reason)
    InboundMessage.objects.filter(pk=inbound_id).exclude(status=Status.SENT_LATER).update(
        status=Status.FAILED
    )


@task(retry=True, on_failure=_answer_failed)
def answer_later(inbound_id: int, action: str, query: str, column_id: int | None) -> str:
    """Run again after a crash or a refusal, the follower is answered at most once: the
    message is claimed (SENDING) before WeChat is asked, and an attempt that finds it claimed
    cannot know whether the answer went out, so it does not send it again."""
    row = InboundMessage.objects.get(pk=inbound_id)
    if row.status == Status.SENT_LATER:
        return "sent already"
    if row.status == Status.SENDING:
        log.error("inbound message %s: an earlier attempt died while sending; not resent", row.pk)
        _set(inbound_id, Status.FAILED, Status.SENDING)
        return "outcome unknown"
    message: Message = parse_message(row.raw_xml.encode())
    reply = actions.finish(actions.Later(action, query, column_id), message)
    pause_point("answer_later")
    if not _set(inbound_id, Status.SENDING, Status.DEFERRED, Status.FAILED):
        return "taken"
    try:
        messages.send_custom_message(row.openid, custom_message(reply))
    except WeChatAPIError as exc:
        log.exception("could not send the late answer to inbound message %s", inbound_id)
        if exc.errcode == NETWORK_ERROR:  # WeChat may have it: never send it twice
            _set(inbound_id, Status.FAILED, Status.SENDING)
            return "outcome unknown"
        _set(inbound_id, Status.DEFERRED, Status.SENDING)  # refused: not delivered
        raise
    InboundMessage.objects.filter(pk=inbound_id).update(
        status=Status.SENT_LATER, late_reply=reply_to_json(reply)
    )
    return "sent"


def _set(inbound_id: int, status: str, *was: str) -> bool:
    rows = InboundMessage.objects.filter(pk=inbound_id, status__in=was)
    return rows.update(status=status) == 1
