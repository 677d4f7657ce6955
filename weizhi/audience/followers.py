"""Changes to followers that the WeChat channel makes: following and unfollowing.

Each is one upsert (INSERT … ON CONFLICT DO UPDATE), since they run on the callback's hot
path and two deliveries for the same follower may arrive at once.
"""

from datetime import datetime

from .models import Follower


def _upsert(openid: str, **fields: object) -> None:
    Follower.objects.bulk_create(
        [Follower(openid=openid, **fields)],
        update_conflicts=True,
        unique_fields=["openid"],
        update_fields=list(fields),
    )


def record_subscribe(openid: str, when: datetime, *, scene: str = "", qr_scene: str = "") -> None:
    fields: dict[str, object] = {"subscribed": True, "subscribed_at": when}
    if scene:
        fields["subscribe_scene"] = scene
    if qr_scene:
        fields["qr_scene"] = qr_scene
    _upsert(openid, **fields)


def record_unsubscribe(openid: str, when: datetime) -> None:
    _upsert(openid, subscribed=False, unsubscribed_at=when)
