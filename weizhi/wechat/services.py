"""Receiving a follower's message: keep it, answer it once, and do what it asks.

The message is stored in the same step that claims its dedup key, so a retry from WeChat
(it tries three times when an answer is late) finds the first answer and repeats it
instead of acting twice. Routing happens before the insert because it only reads; side
effects (follower state, tasks) happen after it, and only for the first delivery.
"""

import dataclasses
import logging
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.db.models import F

from weizhi.audience import followers
from weizhi.core.writequeue import write_turn

from .models import InboundMessage
from .protocol import (
    DecodedRequest,
    Event,
    ImageReply,
    LinkMessage,
    LocationMessage,
    MassSendJobFinishEvent,
    Message,
    MusicReply,
    NewsReply,
    PublishJobFinishEvent,
    Reply,
    SubscribeEvent,
    TextMessage,
    TextReply,
    UnsubscribeEvent,
    VideoReply,
    VoiceMessage,
    VoiceReply,
)
from .protocol.replies import Article
from .router import Outcome, route

log = logging.getLogger(__name__)

REPLY_TYPES: dict[str, type] = {
    "text": TextReply,
    "image": ImageReply,
    "voice": VoiceReply,
    "video": VideoReply,
    "music": MusicReply,
    "news": NewsReply,
}


def reply_to_json(reply: Reply | None) -> dict | None:
    if reply is None:
        return None
    kind = next(k for k, cls in REPLY_TYPES.items() if isinstance(reply, cls))
    return {"type": kind, **dataclasses.asdict(reply)}


def reply_from_json(data: dict | None) -> Reply | None:
    if not data:
        return None
    fields = {k: v for k, v in data.items() if k != "type"}
    if data["type"] == "news":
        fields["articles"] = tuple(Article(**a) for a in fields["articles"])
    return REPLY_TYPES[data["type"]](**fields)


def summary_of(message: Message) -> str:
    """The words of a message, for the inbox and its search."""
    if isinstance(message, TextMessage):
        return message.content
    if isinstance(message, VoiceMessage):
        return message.recognition or ""
    if isinstance(message, LinkMessage):
        return f"{message.title} {message.url}"
    if isinstance(message, LocationMessage):
        return message.label
    return ""


def _status(outcome: Outcome) -> str:
    if outcome.later is not None:
        return InboundMessage.Status.DEFERRED
    if outcome.reply is None:
        return InboundMessage.Status.NO_REPLY
    return InboundMessage.Status.REPLIED


def receive(request: DecodedRequest) -> Reply | None:
    """Store and answer one decoded callback; the reply to send back, if any."""
    message = request.message
    outcome = route(message)
    event = message.event if isinstance(message, Event) else ""
    row = InboundMessage(
        dedup_key=message.dedup_key()[:200],
        openid=message.from_user[:64],
        msg_type=message.msg_type[:32],
        event=event[:40],
        event_key=(getattr(message, "event_key", None) or "")[:200],
        content=summary_of(message),
        msg_id=(message.msg_id or "")[:32],
        sent_at=datetime.fromtimestamp(message.create_time, tz=UTC),
        raw_xml=request.raw_xml.decode("utf-8", "replace"),
        encrypted=request.encrypted,
        status=_status(outcome),
        rule_id=outcome.rule_id,
        reply=reply_to_json(outcome.reply),
    )
    try:
        with write_turn(), transaction.atomic():
            row.save(force_insert=True)
            _side_effects(row, message, outcome)
    except IntegrityError:
        return _repeat(row.dedup_key)
    return outcome.reply


def _repeat(dedup_key: str) -> Reply | None:
    """WeChat's retry of a message we already have: the same answer, nothing done again."""
    InboundMessage.objects.filter(dedup_key=dedup_key).update(duplicates=F("duplicates") + 1)
    first = InboundMessage.objects.filter(dedup_key=dedup_key).values_list("reply", flat=True)
    log.info("wechat retry of %s answered from the first delivery", dedup_key)
    return reply_from_json(first.first())


def _side_effects(row: InboundMessage, message: Message, outcome: Outcome) -> None:
    when = row.sent_at
    if isinstance(message, SubscribeEvent):
        followers.record_subscribe(message.from_user, when, qr_scene=message.scene or "")
    elif isinstance(message, UnsubscribeEvent):
        followers.record_unsubscribe(message.from_user, when)
    elif isinstance(message, PublishJobFinishEvent | MassSendJobFinishEvent):
        transaction.on_commit(lambda: _report_job(message))
    if outcome.later is not None:
        from .tasks import answer_later

        later = outcome.later
        transaction.on_commit(
            lambda: answer_later.enqueue(row.pk, later.action, later.query, later.column_id)
        )


def _report_job(message: Message) -> None:
    """WeChat's report on a publish or mass send started from weizhi: update its send log."""
    from weizhi.wechat.outbound import services as outbound

    if isinstance(message, PublishJobFinishEvent):
        outbound.on_publish_job_finished(message)
    elif isinstance(message, MassSendJobFinishEvent):
        outbound.on_mass_send_finished(message)
