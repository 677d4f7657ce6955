"""The fallback for a PUBLISHJOBFINISH that never comes: ask freepublish/get.

WeChat pushes the end of a publish job to our callback; if the callback was down or the
event was lost, the send would wait forever. The scheduler runs poll_publishes() every
minute; it asks WeChat about each publish still waiting whose next_poll_at has come, on the
schedule of publishing.POLL_WAITS, and gives up with a message after the last look. The
schedule lives in the database, so a restart loses nothing.
"""

import logging
from datetime import datetime

from django.db.models import F
from django.utils import timezone

from weizhi.core.taskqueue import task
from weizhi.wechat.api.client import WeChatClient, default_client
from weizhi.wechat.api.errors import WeChatAPIError
from weizhi.wechat.records.models import WeChatSend

from .services import POLL_WAITS, give_up_publish, settle_publish

log = logging.getLogger(__name__)

BATCH = 50  # sends asked per run; the rest wait for the next minute
PUBLISHING = 1  # freepublish/get's publish_status while the job still runs
Status = WeChatSend.Status


def due_publishes(now: datetime):
    return WeChatSend.objects.filter(
        mode=WeChatSend.Mode.PUBLISH, status=Status.SUBMITTED, next_poll_at__lte=now
    ).exclude(publish_id="")


@task()
def poll_publishes() -> str:
    """Ask WeChat about every publish whose result is overdue (the scheduler's job)."""
    now = timezone.now()
    sends = list(due_publishes(now).order_by("next_poll_at")[:BATCH])
    if not sends:
        return "没有等待查询的发布。"
    client = default_client()
    settled = 0
    for send in sends:
        try:
            settled += poll_publish(send, client, now) in ("settled", "gave_up")
        except Exception:
            # The claim booked its next look already; the others need not wait for it.
            log.exception("polling the publish of send %s failed", send.pk)
    return f"查询 {len(sends)} 条发布，{settled} 条已结束。"


def poll_publish(send: WeChatSend, client: WeChatClient, now: datetime | None = None) -> str:
    """One look at one publish job: "settled", "waiting", "gave_up" or "skipped"."""
    now = now or timezone.now()
    if send.polls >= len(POLL_WAITS):
        return "gave_up" if give_up_publish(send) else "skipped"
    if not _claim(send, now):
        return "skipped"  # another worker looked, or the event settled it meanwhile
    note = ""
    try:
        body = client.post(
            "/cgi-bin/freepublish/get", {"publish_id": send.publish_id}, idempotent=True
        )
    except WeChatAPIError as exc:
        log.warning("freepublish/get for send %s failed: %s", send.pk, exc)
        note = exc.operator_message
    else:
        status = _int(body.get("publish_status"))
        if status is not None and status != PUBLISHING:
            won = settle_publish(send, status, _article_urls(body), via="freepublish/get")
            return "settled" if won else "skipped"
    if send.polls >= len(POLL_WAITS):
        return "gave_up" if give_up_publish(send, note) else "skipped"
    return "waiting"


def _claim(send: WeChatSend, now: datetime) -> bool:
    """Count this look and book the next before asking WeChat, so two workers never ask at
    once and a look cut short by a crash is made again at the booked time."""
    polls = send.polls + 1
    wait = POLL_WAITS[polls] if polls < len(POLL_WAITS) else POLL_WAITS[0]
    claimed = WeChatSend.objects.filter(
        pk=send.pk, status=Status.SUBMITTED, polls=send.polls
    ).update(polls=F("polls") + 1, next_poll_at=now + wait)
    send.polls = polls
    return bool(claimed)


def _article_urls(body: dict) -> list[str]:
    detail = body.get("article_detail") if isinstance(body.get("article_detail"), dict) else {}
    items = [item for item in detail.get("item") or [] if isinstance(item, dict)]
    items.sort(key=lambda item: _int(item.get("idx")) or 0)
    return [str(item.get("article_url") or "") for item in items]


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
