"""The inbox's slow work: classifying a message, delivering a reply, escalating overdue items."""

from __future__ import annotations

from weizhi.core.taskqueue import task

from . import processing


@task(retry=True)
def classify_message(message_id: int) -> str:
    return processing.apply_classification(message_id)


@task(retry=True)
def deliver_reply(message_id: int) -> str:
    return processing.deliver(message_id)


@task()
def escalate_overdue_items() -> int:
    return processing.escalate_overdue()


@task(retry=True)
def ask_rating(item_id: int, resolution_round: int) -> str:
    return processing.ask_rating(item_id, resolution_round)
