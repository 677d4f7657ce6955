"""Changes to followers that the WeChat channel makes: following and unfollowing.

Each is one upsert (INSERT … ON CONFLICT DO UPDATE), since they run on the callback's hot
path and two deliveries for the same follower may arrive at once.
"""

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime

from weizhi.core.fastinsert import FastInsert

from .models import Follower

MAX_REMARK = 30
_MAX_LENGTHS = {
    f.name: f.max_length for f in Follower._meta.concrete_fields if getattr(f, "max_length", None)
}


@functools.cache
def _upsert_of(fields: tuple[str, ...]) -> FastInsert:
    return FastInsert(Follower, conflict=["openid"], update=fields)


@dataclass(frozen=True)
class Change:
    """A follow or an unfollow, as the upsert that records it and its row. The callback
    writes it after the message that caused it, in one transaction, or in the same statement
    (FastInsert.guarded_sql on PostgreSQL)."""

    upsert: FastInsert
    row: dict[str, object]


def _change(openid: str, **fields: object) -> Change:
    row = {"openid": openid, **fields}
    for name, value in row.items():
        # Signed by WeChat, but longer than our columns would fail the insert on PostgreSQL
        # (and WeChat would retry it for ever): cut to fit, as the message row is.
        limit = _MAX_LENGTHS.get(name)
        if limit and isinstance(value, str):
            row[name] = value[:limit]
    return Change(_upsert_of(tuple(sorted(fields))), row)


def subscribe_change(openid: str, when: datetime, *, scene: str = "", qr_scene: str = "") -> Change:
    fields: dict[str, object] = {"subscribed": True, "subscribed_at": when}
    if scene:
        fields["subscribe_scene"] = scene
    if qr_scene:
        fields["qr_scene"] = qr_scene
    return _change(openid, **fields)


def unsubscribe_change(openid: str, when: datetime) -> Change:
    return _change(openid, subscribed=False, unsubscribed_at=when)


def create_simulated(remark: str = "") -> Follower:
    """A follower for the 公众号模拟器, who has not followed yet; their first act is 关注."""
    remark = remark.strip()[:MAX_REMARK]
    if not remark:
        remark = f"模拟粉丝 {Follower.objects.filter(simulated=True).count() + 1}"
    return Follower.objects.create(
        openid=f"sim-{secrets.token_hex(10)}", remark=remark, simulated=True, subscribed=False
    )
