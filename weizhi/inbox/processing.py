"""The inbox work the task workers do: classify on arrival, deliver replies, escalate."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from . import channels, classify
from .default_rules import DEFAULT_RULES
from .models import Category, Item, Message, Priority, Rule, Status
from .records import notify_moderators, rating_token, record

log = logging.getLogger(__name__)


def current_rules() -> list[classify.RuleSpec]:
    """The rules as the 留言管理员 left them; the starting rules only if the table is empty."""
    rows = list(Rule.objects.all())
    if not rows:
        return list(DEFAULT_RULES)
    codes = {label: code for code, label in Category.choices}
    return [
        classify.RuleSpec(
            r.kind,
            codes.get(r.label, r.label) if r.kind == Rule.Kind.CATEGORY else r.label,
            r.term,
            r.weight,
            r.is_pattern,
            r.reason,
        )
        for r in rows
        if r.active
    ]


def apply_classification(message_id: int) -> str:
    message = Message.objects.filter(pk=message_id, direction=Message.Direction.IN).first()
    if message is None or message.classified_at is not None:
        return "skipped"
    result = classify.classify(message.text, current_rules())
    with transaction.atomic():
        item = Item.objects.select_for_update().get(pk=message.item_id)
        message.category, message.warn, message.why = result.category, result.warn, result.why
        message.classified_at = timezone.now()
        message.save(update_fields=["category", "warn", "why", "classified_at"])
        fields = []
        if not item.category or item.category == "other":
            item.category = result.category
            fields.append("category")
        if result.warn:
            item.warn, item.priority = True, Priority.HIGH
            item.warn_why = "\n".join(filter(None, [item.warn_why, result.why]))
            fields += ["warn", "priority", "warn_why"]
        if fields:
            item.save(update_fields=fields)
        if result.warn:
            record(item, "flag", detail=result.why)
            notify_moderators(item, f"思想动态预警：{item.person_name}的留言 — {result.why}")
    return result.category + (" warn" if result.warn else "")


def last_inbound_at(item: Item):
    """When the person last wrote: a channel's window (WeChat's 48 hours) counts from it."""
    return (
        item.messages.filter(direction=Message.Direction.IN)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )


def deliver(message_id: int) -> str:
    message = Message.objects.select_related("item__follower").filter(pk=message_id).first()
    if message is None:
        return "missing"  # its item was deleted meanwhile
    if message.delivery != Message.Delivery.PENDING:
        return message.delivery
    item = message.item
    last_in = last_inbound_at(item)
    outcome = channels.send(
        channels.OutgoingReply(
            item_id=item.pk,
            message_id=message.pk,
            channel=message.channel,
            text=message.text,
            openid=item.follower.openid if item.follower_id else "",
            member_id=item.member_id,
            last_inbound_at=last_in,
            summary=item.summary,
            link=settings.SITE_URL + reverse("inbox:mine"),
        )
    )
    message.delivery = Message.Delivery.ACCEPTED if outcome.accepted else Message.Delivery.REFUSED
    message.delivery_detail = outcome.detail[:200]
    message.save(update_fields=["delivery", "delivery_detail"])
    if not outcome.accepted:
        log.warning(
            "inbox reply %s not delivered on %s: %s", message.pk, message.channel, outcome.detail
        )
    return message.delivery


def ask_rating(item_id: int, resolution_round: int) -> str:
    """After 办结 on a channel other than the member pages: the short rating link, sent to the
    person through that channel; the outcome is in the item's history."""
    item = Item.objects.select_related("follower").filter(pk=item_id).first()
    if item is None or item.resolution_round != resolution_round or item.satisfaction:
        return "not needed"
    if item.status != Status.RESOLVED:
        return "not needed"
    link = settings.SITE_URL + reverse("inbox:rate", args=[rating_token(item)])
    last_in = last_inbound_at(item)
    outcome = channels.send(
        channels.OutgoingReply(
            item_id=item.pk,
            message_id=0,
            channel=item.channel,
            text=f'您的留言已办结。<a href="{link}">请点此评价我们的办理</a>'
            "（满意 / 基本满意 / 不满意）。",
            openid=item.follower.openid if item.follower_id else "",
            member_id=item.member_id,
            last_inbound_at=last_in,
            summary=item.summary,
            link=link,
        )
    )
    detail = ("已发送：" if outcome.accepted else "未送达：") + outcome.detail
    record(item, "ask_rating", detail=detail)
    return "sent" if outcome.accepted else "refused"


def escalate_overdue(now=None) -> int:
    """Overdue items (not answered within their due time) go to the 留言管理员, once each."""
    now = now or timezone.now()
    count = 0
    for pk in (
        Item.objects.overdue(now).filter(escalated_at__isnull=True).values_list("pk", flat=True)
    ):
        with transaction.atomic():
            item = Item.objects.select_for_update().get(pk=pk)
            if not item.is_overdue(now) or item.escalated_at is not None:
                continue
            item.escalated_at, item.priority = now, Priority.HIGH
            item.save(update_fields=["escalated_at", "priority"])
            who = item.handler_name or "尚未派单"
            detail = f"超过办理时限（{timezone.localtime(item.due_at):%m-%d %H:%M}），承办：{who}"
            record(item, "escalate", detail=detail)
            notify_moderators(item, f"超时督办：{item.summary} — {detail}")
            count += 1
    return count
