"""Every change of an inbox item's state: one function each, one transaction, an audit row
(Transition), side effects (classification, delivery) as tasks on commit.

The WeChat app (later) calls receive(..., channel="wechat") for every inbound message and
registers a reply sender with channels.register_sender("wechat", fn).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from weizhi.analytics import events
from weizhi.audience.models import Branch, Follower, Member

from . import channels
from .models import Department, Item, Message, Note, Priority, Satisfaction, Status, Tag
from .records import (
    RATING_SALT,
    first_response_due,
    handling_due,
    rating_token,  # noqa: F401 (the views ask services for the link)
    record,
    reopen_window,
)
from .tasks import ask_rating, classify_message, deliver_reply

log = logging.getLogger(__name__)
MAX_TEXT = 2000


class InboxError(ValueError):
    """A refused change, with a Chinese message for the person who asked for it."""


def _person(person: Member | Follower) -> tuple[Member | None, Follower | None]:
    if isinstance(person, Member):
        return person, getattr(person, "follower", None)
    if isinstance(person, Follower):
        return person.member, person
    raise TypeError(f"not a person: {person!r}")


def _summary(text: str) -> str:
    line = " ".join(text.split())
    return line[:77] + "…" if len(line) > 78 else line


def receive(
    person: Member | Follower,
    *,
    channel: str,
    text: str,
    kind: str = "text",
    received_at: datetime | None = None,
    external_id: str = "",
) -> Message:
    """One inbound message: appended to the person's open item, reopening their latest item
    if it was answered or resolved recently, else a new item. A message already received
    (same channel and external_id: WeChat retries) is returned as it was."""
    text = (text or "").strip()[:MAX_TEXT] or f"[{kind}]"
    received_at = received_at or timezone.now()
    member, follower = _person(person)
    if external_id:
        seen = Message.objects.filter(channel=channel, external_id=external_id).first()
        if seen is not None:
            return seen
    try:
        with transaction.atomic():
            _lock_person(member, follower)
            item = _item_for(member, follower, channel, text, received_at)
            message = Message.objects.create(
                item=item,
                direction=Message.Direction.IN,
                channel=channel,
                kind=kind,
                text=text,
                external_id=external_id[:64],
                at=received_at,
            )
            transaction.on_commit(lambda: classify_message.enqueue(message.pk))
            events.record(
                "message", member=member, follower=follower, key=f"in:{message.pk}", at=received_at
            )
    except IntegrityError:
        # The same message arrived twice at once; the other one stored it.
        return Message.objects.get(channel=channel, external_id=external_id)
    return message


def _lock_person(member: Member | None, follower: Follower | None) -> None:
    """Two first messages of one person at the same moment must make one item, not two.

    Locking the person's open item is not enough: before the first message there is no item
    to lock. So the person's own rows are locked, member before follower (one order, no
    deadlock), and the second writer waits, then finds the item the first one made. On
    SQLite the whole transaction already holds the write lock (IMMEDIATE).
    """
    if member is not None:
        Member.objects.select_for_update().filter(pk=member.pk).exists()
    if follower is not None:
        Follower.objects.select_for_update().filter(pk=follower.pk).exists()


def _item_for(member, follower, channel: str, text: str, at: datetime) -> Item:
    latest = (
        Item.objects.select_for_update().of_person(member, follower).order_by("-created_at").first()
    )
    if latest is not None and latest.status != Status.RESOLVED:
        old = latest.status
        latest.last_message_at = at
        if old == Status.REPLIED:
            latest.status = Status.ASSIGNED if _has_handler(latest) else Status.NEW
            latest.due_at = at + handling_due()
            latest.escalated_at = None
        latest.save()
        record(latest, "append", old=old if latest.status != old else "", detail=_summary(text))
        return latest
    if latest is not None and latest.resolved_at and at - latest.resolved_at < reopen_window():
        _reopen(latest, at, "留言人再次留言")
        latest.last_message_at = at
        latest.save(update_fields=["last_message_at"])
        return latest
    item = Item.objects.create(
        member=member,
        follower=follower,
        channel=channel,
        summary=_summary(text),
        created_at=at,
        last_message_at=at,
        due_at=at + first_response_due(),
    )
    record(item, "receive", detail=channels.CHANNEL_NAMES.get(channel, channel))
    return item


def _has_handler(item: Item) -> bool:
    return bool(item.assignee_id or item.department_id or item.branch_id)


def _reopen(item: Item, at: datetime, why: str, by=None) -> None:
    old = item.status
    item.status = Status.ASSIGNED if _has_handler(item) else Status.NEW
    item.resolved_at, item.escalated_at = None, None
    item.due_at = at + handling_due()
    item.save(update_fields=["status", "resolved_at", "escalated_at", "due_at"])
    record(item, "reopen", by=by, old=old, detail=why)


def _locked(item: Item) -> Item:
    return Item.objects.select_for_update().get(pk=item.pk)


def assign(
    item: Item,
    *,
    by,
    department: Department | None = None,
    branch: Branch | None = None,
    user=None,
    due_at: datetime | None = None,
    note: str = "",
) -> Item:
    """派单: to a department, a branch and/or a person, with a due time."""
    if department is None and branch is None and user is None:
        raise InboxError("请选择承办部门、承办支部或承办人。")
    now = timezone.now()
    if due_at is not None and due_at <= now:
        raise InboxError("办理时限必须晚于现在。")
    with transaction.atomic():
        item = _locked(item)
        if item.status == Status.RESOLVED:
            raise InboxError("已办结的留言不能再派单。")
        old = item.status
        item.department, item.branch, item.assignee = department, branch, user
        item.due_at = due_at or now + handling_due()
        item.escalated_at = None
        if item.status == Status.NEW:
            item.status = Status.ASSIGNED
        item.save()
        detail = f"派给 {item.handler_name}，时限 {timezone.localtime(item.due_at):%Y-%m-%d %H:%M}"
        record(item, "assign", by=by, old=old, detail=f"{detail}。{note}".strip("。") + "。")
    return item


def reply(item: Item, *, by, text: str) -> Message:
    """答复: recorded with who sent it; delivered by the item's channel in a task."""
    text = (text or "").strip()
    if not text:
        raise InboxError("答复内容不能为空。")
    if len(text) > MAX_TEXT:
        raise InboxError(f"答复内容不能超过 {MAX_TEXT} 字。")
    with transaction.atomic():
        item = _locked(item)
        if item.status == Status.RESOLVED:
            raise InboxError("已办结的留言不能再答复；留言人再次留言时会重新打开。")
        now = timezone.now()
        message = Message.objects.create(
            item=item,
            direction=Message.Direction.OUT,
            channel=item.channel,
            text=text,
            at=now,
            sent_by=by,
            delivery=Message.Delivery.PENDING,
        )
        old = item.status
        item.status = Status.REPLIED
        item.first_reply_at = item.first_reply_at or now
        item.escalated_at = None
        item.save(update_fields=["status", "first_reply_at", "escalated_at"])
        record(item, "reply", by=by, old=old, detail=_summary(text))
        events.record(
            "reply", member=item.member, follower=item.follower, key=f"out:{message.pk}", at=now
        )
        transaction.on_commit(lambda: deliver_reply.enqueue(message.pk))
    return message


def resolve(item: Item, *, by, note: str = "") -> Item:
    """办结: only after a reply; the person is then asked for their satisfaction."""
    with transaction.atomic():
        item = _locked(item)
        if item.status != Status.REPLIED:
            raise InboxError("请先答复留言人，再办结。")
        old = item.status
        item.status, item.resolved_at = Status.RESOLVED, timezone.now()
        item.resolution_round += 1
        item.satisfaction = ""
        item.save(update_fields=["status", "resolved_at", "resolution_round", "satisfaction"])
        record(item, "resolve", by=by, old=old, detail=note)
        if item.channel != channels.WEB:
            # 我的留言 shows the three buttons; another channel gets the link sent to it.
            pk, round_ = item.pk, item.resolution_round
            transaction.on_commit(lambda: ask_rating.enqueue(pk, round_))
    return item


def item_for_rating(token: str) -> Item | None:
    """The resolved item a rating link is for, while its resolution is the one linked."""
    try:
        pk, round_ = signing.Signer(salt=RATING_SALT).unsign(token).split(".")
    except (signing.BadSignature, ValueError):
        return None
    item = Item.objects.filter(pk=pk).first()
    if item is None or str(item.resolution_round) != round_ or item.status != Status.RESOLVED:
        return None
    return item


def rate(item: Item, value: str) -> Item:
    """回访: 满意/基本满意 close the matter; 不满意 reopens it for the handler."""
    if value not in Satisfaction.values:
        raise InboxError("请选择满意、基本满意或不满意。")
    with transaction.atomic():
        item = _locked(item)
        if item.status != Status.RESOLVED or item.satisfaction:
            raise InboxError("这条留言已经评价过了。")
        item.satisfaction = value
        item.save(update_fields=["satisfaction"])
        label = Satisfaction(value).label
        record(item, "rate", detail=f"留言人评价：{label}")
        if value == Satisfaction.UNSATISFIED:
            item.priority = Priority.HIGH
            item.save(update_fields=["priority"])
            _reopen(item, timezone.now(), "留言人不满意，重新办理")
    return item


def add_note(item: Item, *, by, text: str) -> Note:
    text = (text or "").strip()
    if not text:
        raise InboxError("备注内容不能为空。")
    return Note.objects.create(item=item, author=by, text=text[:MAX_TEXT])


def set_tags(item: Item, names: list[str], *, by) -> None:
    names = [n.strip()[:20] for n in names if n.strip()][:10]
    with transaction.atomic():
        tags = [Tag.objects.get_or_create(name=n)[0] for n in names]
        item.tags.set(tags)
        record(item, "tags", by=by, detail="、".join(names) or "清除标签")
