"""Activity events: the one call every activity makes when someone takes part.

``record(kind, member=…, key=…)`` is one INSERT and nothing else, so it can sit inside the
caller's transaction (an event is stored exactly when the thing it counts is). With a key,
recording the same (kind, key) again is a no-op, so a retried request or a re-run task never
counts twice. The daily roll-up (rollup.py) reads only these rows; dashboards read only the
roll-up. Article reads and likes are not events: they go through the buffered counters.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from weizhi.analytics.models import ActivityEvent, ActivityKind
from weizhi.core.fastinsert import FastInsert

if TYPE_CHECKING:
    from weizhi.audience.models import Branch, Follower, Member

# Following and unfollowing are counted from the followers' own dates (rollup.py), article
# reads from the read counters.
KINDS = frozenset(ActivityKind.values) - {
    ActivityKind.SUBSCRIBE,
    ActivityKind.UNSUBSCRIBE,
    ActivityKind.READ,
}


def record(kind: str, **fields: Any) -> None:
    """Store that a member (or follower) did `kind`: one INSERT of ``event(kind, **fields)``."""
    record_all([event(kind, **fields)])


def event(
    kind: str,
    *,
    member: Member | None = None,
    follower: Follower | None = None,
    branch: Branch | None = None,
    key: str = "",
    value: float | None = None,
    at: datetime | None = None,
) -> dict:
    """The row of an event: `member` (or `follower`) did `kind`; the branch defaults to the
    member's. For ``record_all``, or stored at once by ``record``.

    key makes the event idempotent (e.g. ``f"attempt:{pk}"``); value is a number to average
    later (a quiz score). An unknown kind is a programming error and raises ValueError.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown activity kind: {kind!r}")
    at = at or timezone.now()
    branch_id = branch.pk if branch is not None else getattr(member, "branch_id", None)
    if member is None and follower is not None:
        member_id = follower.member_id
    else:
        member_id = member.pk if member is not None else None
    return {
        "kind": kind,
        "day": timezone.localdate(at),
        "at": at,
        "member_id": member_id,
        "follower_id": follower.pk if follower is not None else None,
        "branch_id": branch_id,
        "key": key[:100],
        "value": value,
    }


def record_all(rows: list[dict]) -> None:
    """Store several ``event()`` rows in one INSERT (quiz hand-ins written together)."""
    # One statement, its SQL written once; a repeated (kind, key) is skipped by the database
    # (the unique constraint leaves rows without a key alone), not by a lookup.
    if rows:
        _EVENTS.execute(rows)


_EVENTS = FastInsert(ActivityEvent, conflict=())
