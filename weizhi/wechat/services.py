"""Receiving a follower's message: keep it, answer it once, and do what it asks.

The message is stored in the same step that claims its dedup key, so a retry from WeChat
(it tries three times when an answer is late) finds the first answer and repeats it
instead of acting twice. Routing happens before the insert because it only reads; side
effects (follower state, tasks) happen after it, and only for the first delivery.
"""

import dataclasses
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import F

from weizhi.audience import followers
from weizhi.core.groupcommit import GroupCommit
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


@dataclass
class Delivery:
    """One message on its way into the database, and the answer it gets."""

    row: InboundMessage
    message: Message
    outcome: Outcome
    reply: Reply | None = None


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
    delivery = Delivery(row, message, outcome)
    _group.submit(delivery)
    return delivery.reply


def store(batch: list[Delivery]) -> None:
    """Store deliveries in one transaction: new ones with their side effects, retries counted
    and answered from their first delivery (which may be in this same batch)."""
    try:
        with write_turn(), transaction.atomic():
            _store_together(batch)
    except IntegrityError:
        # Another process stored one of these keys between our look and our insert
        # (PostgreSQL; SQLite's write lock rules it out): settle them one at a time.
        for delivery in batch:
            _store_alone(delivery)


def _store_together(batch: list[Delivery]) -> None:
    firsts: dict[str, Delivery] = {}
    for delivery in batch:
        firsts.setdefault(delivery.row.dedup_key, delivery)
    stored = insert_new([d.row for d in firsts.values()])
    for delivery in batch:
        if delivery is firsts[delivery.row.dedup_key] and delivery.row.dedup_key in stored:
            delivery.row.pk = stored[delivery.row.dedup_key]
            _side_effects(delivery.row, delivery.message, delivery.outcome)
            delivery.reply = delivery.outcome.reply
        else:
            delivery.reply = _repeat(delivery.row.dedup_key)


def insert_new(rows: list[InboundMessage]) -> dict[str, int]:
    """INSERT … ON CONFLICT (dedup_key) DO NOTHING RETURNING: the ids of the rows that were
    new, by dedup key, in one statement. Written out because the ORM's bulk_create cannot say
    which rows it skipped, and compiling it cost more than the insert itself."""
    fields = [f for f in InboundMessage._meta.concrete_fields if not f.primary_key]
    values: list = []
    for row in rows:
        for field in fields:
            values.append(field.get_db_prep_save(field.pre_save(row, add=True), connection))
    quote = connection.ops.quote_name
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # Only quoted model names and placeholders go into the text; every value is a parameter.
    table, key = quote(InboundMessage._meta.db_table), quote("dedup_key")
    columns = ", ".join(quote(f.column) for f in fields)
    tuples = ", ".join([one_row] * len(rows))
    sql = f"INSERT INTO {table} ({columns}) VALUES {tuples} ON CONFLICT ({key}) DO NOTHING"  # noqa: S608
    sql += f" RETURNING {quote('id')}, {key}"
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return {key: pk for pk, key in cursor.fetchall()}


def _store_alone(delivery: Delivery) -> None:
    try:
        with write_turn(), transaction.atomic():
            delivery.row.save(force_insert=True)
            _side_effects(delivery.row, delivery.message, delivery.outcome)
        delivery.reply = delivery.outcome.reply
    except IntegrityError:
        delivery.reply = _repeat(delivery.row.dedup_key)


_group: GroupCommit[Delivery] = GroupCommit(store)


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
