"""Every change of a queue item's state goes through here: one transaction, an Event naming who
and when, and the owning feature's hook (registered with ``on_decision``) run inside it, so an
accepted submission and its draft article are written together or not at all.

A hit of the sensitive-word screen never decides anything: it marks the item (flagged, terms,
categories), which puts it at the top of the queue for a person.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from django.db import transaction
from django.utils import timezone

from weizhi.screen import services as screen

from .models import Action, Event, Item, Kind, Source, State

log = logging.getLogger(__name__)

Hook = Callable[[Item, str], None]
_hooks: dict[str, list[Hook]] = {}


class ModerationError(ValueError):
    """The change cannot be made; the message is for the user."""


def on_decision(kind: str, hook: Hook) -> None:
    """Call ``hook(item, action)`` inside the transaction of every decision on items of kind."""
    hooks = _hooks.setdefault(kind, [])
    if hook not in hooks:
        hooks.append(hook)


_admin_links: dict[str, list[Callable[[Item], str | None]]] = {}


def on_admin_link(kind: str, link: Callable[[Item], str | None]) -> None:
    """Where the owning feature manages an item of this kind (reply, pin, delete…). Several
    features may hold items of one kind (comments on the reader site and in WeChat): each
    answers None for items that are not its own."""
    links = _admin_links.setdefault(kind, [])
    if link not in links:
        links.append(link)


def admin_link(item: Item) -> str | None:
    for link in _admin_links.get(item.kind, []):
        url = link(item)
        if url:
            return url
    return None


def _run_hooks(item: Item, action: str) -> None:
    for hook in _hooks.get(item.kind, []):
        hook(item, action)


def enqueue(
    kind: Kind | str,
    *,
    text: str,
    title: str = "",
    member=None,
    follower=None,
    author_name: str = "",
    source: Source | str = Source.READER,
    link: str = "",
) -> Item:
    """A new contribution, screened and waiting for a person. Call inside the caller's
    transaction (the contribution and its item are one write)."""
    result = screen.screen(f"{title}\n{text}" if title else text)
    item = Item.objects.create(
        kind=kind,
        source=source,
        member=member,
        follower=follower,
        author_name=author_name or (member.name if member is not None else ""),
        title=title,
        text=text,
        link=link,
        flagged=result.flagged,
        screen_terms=list(result.terms),
        screen_categories=list(result.categories),
    )
    Event.objects.create(item=item, action=Action.SUBMITTED, member=member)
    if result.flagged:
        log.info("moderation: item=%s flagged terms=%s", item.pk, ",".join(result.terms))
    return item


def rescreen(item: Item, *, text: str, title: str = "", member=None) -> None:
    """The author changed the text (a submission sent back and resubmitted): screen it again
    and put it back in the queue."""
    result = screen.screen(f"{title}\n{text}" if title else text)
    Item.objects.filter(pk=item.pk).update(
        text=text,
        title=title,
        state=State.PENDING,
        flagged=result.flagged,
        screen_terms=list(result.terms),
        screen_categories=list(result.categories),
        submitted_at=timezone.now(),
    )
    item.refresh_from_db()
    Event.objects.create(item=item, action=Action.EDITED, member=member)


def _decide(item: Item, user, action: str, state: str, reason: str) -> Item:
    with transaction.atomic():
        locked = Item.objects.select_for_update().get(pk=item.pk)
        locked.state = state
        locked.moderated_by = user
        locked.moderated_at = timezone.now()
        locked.reason = reason
        if state != State.APPROVED:
            locked.featured = False
        locked.save()
        Event.objects.create(item=locked, action=action, user=user, reason=reason)
        _run_hooks(locked, action)
    log.info("moderation: item=%s %s by user=%s", locked.pk, action, getattr(user, "pk", None))
    return locked


def approve(item: Item, user, note: str = "") -> Item:
    return _decide(item, user, Action.APPROVED, State.APPROVED, note.strip()[:200])


def reject(item: Item, user, reason: str) -> Item:
    reason = reason.strip()
    if not reason:
        raise ModerationError("退回时请填写理由。")
    return _decide(item, user, Action.REJECTED, State.REJECTED, reason[:200])


def set_featured(item: Item, user, featured: bool) -> Item:
    """精选 an approved item (approving it first if it is still waiting), or take it back."""
    with transaction.atomic():
        locked = Item.objects.select_for_update().get(pk=item.pk)
        if featured and locked.state != State.APPROVED:
            locked = approve(locked, user)
        locked.featured = featured
        locked.save(update_fields=["featured"])
        action = Action.FEATURED if featured else Action.UNFEATURED
        Event.objects.create(item=locked, action=action, user=user)
        _run_hooks(locked, action)
    return locked


def record_deletion(item: Item, *, user=None, member=None, reason: str = "") -> None:
    """The contribution was deleted (by the office with a reason, or by its writer)."""
    Event.objects.create(
        item=item, action=Action.DELETED, user=user, member=member, reason=reason[:200]
    )
    _run_hooks(item, Action.DELETED)


BULK_ACTIONS = {
    "approve": "通过",
    "reject": "退回",
    "feature": "精选",
    "unfeature": "取消精选",
}


def bulk(items: Iterable[Item], action: str, user, reason: str = "") -> int:
    """One decision on many items; each is its own transaction, so one refused item (a hook
    that fails) does not undo the others. The number of items changed."""
    if action == "reject" and not reason.strip():
        raise ModerationError("退回时请填写理由。")
    done = 0
    for item in items:
        try:
            if action == "approve":
                approve(item, user, reason)
            elif action == "reject":
                reject(item, user, reason)
            elif action in ("feature", "unfeature"):
                set_featured(item, user, action == "feature")
            else:
                raise ModerationError("未知的操作。")
        except ModerationError:
            if action not in BULK_ACTIONS:
                raise
            continue
        done += 1
    return done
