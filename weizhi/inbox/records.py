"""Pieces every inbox state change shares: settings, the audit row, notifying the 留言管理员."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import send_mail

from .models import Item, Notification, Transition

log = logging.getLogger(__name__)
MODERATOR_GROUP = "留言管理员"
RATING_SALT = "weizhi.inbox.rating"


def rating_token(item: Item) -> str:
    """The signed part of the short link that asks for the person's satisfaction."""
    return signing.Signer(salt=RATING_SALT).sign(f"{item.pk}.{item.resolution_round}")


def first_response_due() -> timedelta:
    return timedelta(hours=getattr(settings, "INBOX_FIRST_RESPONSE_HOURS", 24))


def handling_due() -> timedelta:
    return timedelta(hours=getattr(settings, "INBOX_DUE_HOURS", 72))


def reopen_window() -> timedelta:
    return timedelta(days=getattr(settings, "INBOX_REOPEN_DAYS", 7))


def record(item: Item, action: str, *, by=None, old: str = "", detail: str = "") -> Transition:
    return Transition.objects.create(
        item=item,
        action=action,
        from_status=old,
        to_status=item.status if old or action in ("receive", "reopen") else "",
        by=by,
        detail=detail[:300],
    )


def moderators():
    return get_user_model().objects.filter(groups__name=MODERATOR_GROUP, is_active=True)


def notify_moderators(item: Item, text: str) -> int:
    """An in-admin notification for each 留言管理员, and an e-mail where configured."""
    users = list(moderators())
    Notification.objects.bulk_create(
        Notification(user=u, item=item, text=text[:300]) for u in users
    )
    if getattr(settings, "INBOX_EMAIL_NOTIFY", False):
        addresses = [u.email for u in users if u.email]
        if addresses:
            try:
                send_mail(f"[留言] #{item.pk} {text[:40]}", text, None, addresses)
            except Exception:
                log.exception("inbox item %s: could not e-mail the 留言管理员", item.pk)
    return len(users)
