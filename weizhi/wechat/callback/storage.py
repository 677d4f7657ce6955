"""Receiving a follower's message: keep it, answer it once, and do what it asks.

The message is stored in the same step that claims its dedup key, so a retry from WeChat
(it tries three times when an answer is late) finds the first answer and repeats it
instead of acting twice. Routing happens before the insert because it only reads; side
effects (follower state, tasks) happen after it, and only for the first delivery.
"""

import contextlib
import dataclasses
import json
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, connection, transaction

from weizhi.audience import followers
from weizhi.core import steadyconn
from weizhi.core.fastinsert import MAX_ROWS, FastInsert
from weizhi.core.groupcommit import BackgroundCommit, GroupCommit
from weizhi.core.logging import logging_for, request_id_var
from weizhi.core.writequeue import write_turn
from weizhi.wechat.models import InboundMessage
from weizhi.wechat.protocol import (
    DecodedRequest,
    Event,
    LinkMessage,
    LocationMessage,
    MassSendJobFinishEvent,
    Message,
    PublishJobFinishEvent,
    Reply,
    SubscribeEvent,
    TextMessage,
    UnsubscribeEvent,
    VoiceMessage,
)
from weizhi.wechat.publishing import services as publishing

from .reply_json import reply_from_json, reply_to_json
from .router import Outcome, route
from .tasks import answer_later

log = logging.getLogger(__name__)


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


_messages = FastInsert(InboundMessage, conflict=["dedup_key"], returning=["id", "dedup_key"])


@dataclass
class Delivery:
    """One message on its way into the database, and the answer it gets."""

    row: dict[str, Any]  # InboundMessage's fields
    message: Message
    outcome: Outcome
    reply: Reply | None = None
    params: list[Any] = dataclasses.field(default_factory=list)  # the row, for the INSERT
    change: followers.Change | None = None  # a follow or unfollow: the follower row it sets
    change_params: list[Any] = dataclasses.field(default_factory=list)
    # The request it came in, for the log lines and tasks of the thread that stores it.
    request_id: str = dataclasses.field(default_factory=request_id_var.get)

    def __post_init__(self) -> None:
        if not self.params:
            self.params = _messages.prepare(self.row)
        if self.change is None:
            self.change = _follower_change(self.message, self.row["sent_at"])
            if self.change is not None:
                self.change_params = self.change.upsert.prepare(self.change.row)


def _follower_change(message: Message, when: datetime) -> followers.Change | None:
    if isinstance(message, SubscribeEvent):
        return followers.subscribe_change(message.from_user, when, qr_scene=message.scene or "")
    if isinstance(message, UnsubscribeEvent):
        return followers.unsubscribe_change(message.from_user, when)
    return None


def delivery_for(request: DecodedRequest) -> Delivery:
    """A decoded callback routed to its answer, ready to be stored (routing only reads)."""
    outcome = route(request.message)
    return Delivery(message_row(request, outcome), request.message, outcome)


def store_now(delivery: Delivery) -> None:
    """Stores the delivery with the others that arrive meanwhile, on this thread; its
    `reply` is set once it is committed."""
    _group.submit(delivery)


def store_soon(delivery: Delivery, done: Callable[[BaseException | None], None]) -> None:
    """Stores the delivery on this process's writer thread, with every other delivery in
    flight, and then calls `done` there (with None, or what the write raised); its `reply`
    is set before. For an event loop's coroutines, which must not wait on a thread."""
    _background.submit(delivery, done)


def message_row(request: DecodedRequest, outcome: Outcome) -> dict[str, Any]:
    """The InboundMessage fields of a delivered message and the answer it was routed to."""
    message = request.message
    event = message.event if isinstance(message, Event) else ""
    return {
        "dedup_key": message.dedup_key()[:200],
        "openid": message.from_user[:64],
        "msg_type": message.msg_type[:32],
        "event": event[:40],
        "event_key": (getattr(message, "event_key", None) or "")[:200],
        "content": summary_of(message),
        "msg_id": (message.msg_id or "")[:32],
        "sent_at": datetime.fromtimestamp(message.create_time, tz=UTC),
        "raw_xml": request.raw_xml.decode("utf-8", "replace"),
        "encrypted": request.encrypted,
        "status": _status(outcome),
        "rule_id": outcome.rule_id,
        "reply": reply_to_json(outcome.reply),
    }


def store(batch: list[Delivery]) -> None:
    """Store deliveries together: new ones with their side effects, retries counted and
    answered from their first delivery (which may be in this same batch).

    A batch whose messages change nothing else (texts, clicks: most of them) is one INSERT,
    atomic on its own, with no BEGIN and COMMIT around it. Follows and unfollows are written
    together with the follower rows they change, so that a retry never finds a message kept
    and its follower forgotten: on PostgreSQL in the same statement (a data-modifying CTE:
    one round trip instead of four), elsewhere in one transaction."""
    in_statement = _follows_in_statement(batch)
    together = not in_statement and any(d.change is not None for d in batch)
    try:
        with write_turn(), transaction.atomic() if together else contextlib.nullcontext():
            _store_together(batch, in_statement=in_statement)
    except IntegrityError:
        # Another process stored one of these keys between our look and our insert, or a
        # rule was deleted while its message was on the way: one at a time, then.
        for delivery in batch:
            _store_alone(delivery)


def _firsts(batch: list[Delivery]) -> dict[str, Delivery]:
    """The first delivery of each message in the batch, by dedup key."""
    firsts: dict[str, Delivery] = {}
    for delivery in batch:
        firsts.setdefault(delivery.row["dedup_key"], delivery)
    return firsts


def _follows_in_statement(batch: list[Delivery]) -> bool:
    """Whether the batch's follows and unfollows can go in the statement that stores their
    messages: on PostgreSQL, and for distinct followers (one statement may not change a row
    twice; a follower who follows and unfollows within one batch goes the long way)."""
    if connection.vendor != "postgresql" or len(batch) > MAX_ROWS:
        return False
    openids = [d.change.row["openid"] for d in _firsts(batch).values() if d.change is not None]
    return bool(openids) and len(set(openids)) == len(openids)


def _store_together(batch: list[Delivery], *, in_statement: bool = False) -> None:
    firsts = _firsts(batch)
    if in_statement:
        written = _insert_with_follows(list(firsts.values()))
    else:
        written = _messages.execute_prepared([d.params for d in firsts.values()])
    stored = {key: pk for pk, key in written}
    retries: list[Delivery] = []
    for delivery in batch:
        key = delivery.row["dedup_key"]
        if delivery is firsts[key] and key in stored:
            if delivery.change is not None and not in_statement:
                delivery.change.upsert.execute_prepared([delivery.change_params])
            _side_effects(stored[key], delivery)
            delivery.reply = delivery.outcome.reply
        else:
            retries.append(delivery)
    times = Counter(d.row["dedup_key"] for d in retries)
    request_ids = {d.row["dedup_key"]: d.request_id for d in retries}
    answers = {}
    for key, n in times.items():
        with logging_for(request_ids[key]):
            answers[key] = _repeat(key, n)
    for delivery in retries:
        delivery.reply = answers[delivery.row["dedup_key"]]


def _store_alone(delivery: Delivery) -> None:
    try:
        with write_turn(), transaction.atomic():
            _store_together([delivery])
    except IntegrityError:
        # Its rule was deleted while the message was on the way: keep it without the rule.
        with logging_for(delivery.request_id):
            log.warning(
                "wechat message %s: its rule is gone, kept without it", delivery.row["dedup_key"]
            )
        delivery.row = {**delivery.row, "rule_id": None}
        delivery.params = _messages.prepare(delivery.row)
        with write_turn(), transaction.atomic():
            _store_together([delivery])


_group: GroupCommit[Delivery] = GroupCommit(store)


def _store_in_background(batch: list[Delivery]) -> None:
    with steadyconn.working(sender=BackgroundCommit):
        store(batch)


# A batch is at most one INSERT (MAX_ROWS rows): a batch of texts and clicks is then atomic
# without a transaction, so a failure leaves none of it stored and every message is retried.
_background: BackgroundCommit[Delivery] = BackgroundCommit(
    _store_in_background, name="callback-writer", max_batch=MAX_ROWS
)


def _repeat(dedup_key: str, times: int = 1) -> Reply | None:
    """WeChat's retry of a message we already have: the same answer, nothing done again."""
    table = connection.ops.quote_name(InboundMessage._meta.db_table)
    duplicates, key, reply = (
        connection.ops.quote_name(c) for c in ("duplicates", "dedup_key", "reply")
    )
    sql = (
        f"UPDATE {table} SET {duplicates} = {duplicates} + %s WHERE {key} = %s"  # noqa: S608
        f" RETURNING {reply}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [times, dedup_key])
        found = cursor.fetchone()
    log.info("wechat retry of %s answered from the first delivery", dedup_key)
    first = found[0] if found else None
    return reply_from_json(json.loads(first) if isinstance(first, str) else first)


def _insert_with_follows(firsts: list[Delivery]) -> list[tuple]:
    """PostgreSQL: the messages and the follower rows their follows and unfollows change, in
    one statement; a follower row is written only with a message that is new (not WeChat's
    retry of one already kept). The (id, dedup_key) of the messages written."""
    keys = 'SELECT "dedup_key" FROM m'
    groups: dict[FastInsert, list[Delivery]] = {}
    for delivery in firsts:
        if delivery.change is not None:
            groups.setdefault(delivery.change.upsert, []).append(delivery)
    sql = [f"WITH m AS ({_messages.sql(len(firsts))})"]
    params = [value for delivery in firsts for value in delivery.params]
    for n, (upsert, changes) in enumerate(groups.items()):
        sql.append(f", f{n} AS ({upsert.guarded_sql(len(changes), keys)})")
        params += [v for d in changes for v in (d.row["dedup_key"], *d.change_params)]
    sql.append(' SELECT "id", "dedup_key" FROM m')
    with connection.cursor() as cursor:
        cursor.execute("".join(sql), params)
        return cursor.fetchall()


def _side_effects(pk: int, delivery: Delivery) -> None:
    """After the commit, in the log context of the message's own request (the thread that
    stores a batch stores it for many requests)."""
    message, later, request_id = delivery.message, delivery.outcome.later, delivery.request_id
    if isinstance(message, PublishJobFinishEvent | MassSendJobFinishEvent):
        transaction.on_commit(lambda: _in_context(request_id, _report_job, message))
    if later is not None:
        transaction.on_commit(
            lambda: _in_context(
                request_id, answer_later.enqueue, pk, later.action, later.query, later.column_id
            )
        )


def _in_context(request_id: str, call: Callable, *args: Any) -> None:
    with logging_for(request_id):
        call(*args)


def _report_job(message: Message) -> None:
    """WeChat's report on a publish or mass send started from weizhi: update its send log."""
    if isinstance(message, PublishJobFinishEvent):
        publishing.on_publish_job_finished(message)
    elif isinstance(message, MassSendJobFinishEvent):
        publishing.on_mass_send_finished(message)
