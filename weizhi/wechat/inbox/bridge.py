"""Followers' messages into the inbox, off the callback's path.

The callback stores every message first (one write, answered within WeChat's 5 s); a periodic
job then reads the new rows and hands each message that no keyword rule answered to
``weizhi.inbox.services.receive`` — a question, a complaint, a photo, a voice message or a
location becomes a work order for the 留言管理员. Messages a keyword rule answered ("党章",
"天气", a menu's key) are commands, not messages to the office, and events (follows, menu
clicks) are not messages at all.

An installation that had messages before the inbox starts at its newest one (migration
0014), not at the beginning of its history. The job remembers the last row it read
(``InboxCursor``) and reads a little behind it on
every run, since on PostgreSQL a row with a smaller id can commit after a larger one; the
inbox takes a message only once (``external_id``), so reading a row again is harmless.
"""

from __future__ import annotations

import hashlib
import logging

from django.db import transaction
from django.db.models import Q

from weizhi.audience.services import follower_for_sign_in
from weizhi.core.taskqueue import task
from weizhi.inbox import services as inbox
from weizhi.inbox.models import Message as InboxMessage
from weizhi.wechat.models import InboundMessage, InboxCursor, ReplyRule

log = logging.getLogger(__name__)

# What a follower can send that a person should read; the rest are events.
MESSAGE_TYPES = {
    "text": "text",
    "voice": "voice",
    "image": "image",
    "video": "video",
    "shortvideo": "video",
    "location": "location",
    "link": "link",
    "file": "file",
}
PLACEHOLDER = {
    "voice": "[语音消息]",
    "image": "[图片]",
    "video": "[视频]",
    "location": "[位置]",
    "link": "[链接]",
    "file": "[文件]",
}
BATCH = 500
# Rows read again behind the cursor on every run (see the module's note).
LOOK_BEHIND = 200
CURSOR = "inbox"
FLOOR = "inbox-floor"  # set once by migration 0014: the history before the inbox stays out


def external_id(row: InboundMessage) -> str:
    """The inbox's key for the message: WeChat's MsgId, or a digest of our dedup key."""
    if row.msg_id:
        return f"wx:{row.msg_id}"
    return "wx#" + hashlib.sha256(row.dedup_key.encode()).hexdigest()[:40]


def text_of(row: InboundMessage) -> str:
    kind = MESSAGE_TYPES[row.msg_type]
    if row.content.strip():
        return row.content
    return PLACEHOLDER.get(kind, "[消息]")


def unanswered_by_a_keyword() -> Q:
    return Q(rule__isnull=True) | Q(rule__trigger=ReplyRule.Trigger.DEFAULT)


def bridge_batch() -> int:
    """Hands the messages stored since the last run to the inbox; how many it read."""
    cursor, _ = InboxCursor.objects.get_or_create(name=CURSOR)
    floor = InboxCursor.objects.filter(name=FLOOR).values_list("position", flat=True).first()
    rows = list(
        InboundMessage.objects.filter(pk__gt=max(cursor.position - LOOK_BEHIND, floor or 0))
        .filter(msg_type__in=MESSAGE_TYPES)
        .filter(unanswered_by_a_keyword())
        .order_by("pk")[:BATCH]
    )
    # The look-behind re-reads rows the inbox already has: one query leaves them out.
    seen = set(
        InboxMessage.objects.filter(
            channel="wechat", external_id__in=[external_id(row) for row in rows]
        ).values_list("external_id", flat=True)
    )
    for row in rows:
        if external_id(row) in seen:
            continue
        follower = follower_for_sign_in(row.openid)
        inbox.receive(
            follower,
            channel="wechat",
            text=text_of(row),
            kind=MESSAGE_TYPES[row.msg_type],
            received_at=row.received_at,
            external_id=external_id(row),
        )
    if rows and rows[-1].pk > cursor.position:
        with transaction.atomic():
            InboxCursor.objects.filter(pk=cursor.pk, position__lt=rows[-1].pk).update(
                position=rows[-1].pk
            )
    return len(rows)


@task()
def bridge_to_inbox() -> int:
    """The periodic job: every batch waiting, a few at most per run."""
    read = total = 0
    for _ in range(10):
        read = bridge_batch()
        total += read
        if read < BATCH:
            break
    if total:
        log.info("inbox bridge: %s inbound messages read", total)
    return total
