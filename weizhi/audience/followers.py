"""Changes to followers that the WeChat channel makes: following, unfollowing, talking."""

from datetime import datetime

from .models import Follower


def record_subscribe(openid: str, when: datetime, *, scene: str = "", qr_scene: str = "") -> None:
    defaults = {"subscribed": True, "subscribed_at": when}
    if scene:
        defaults["subscribe_scene"] = scene
    if qr_scene:
        defaults["qr_scene"] = qr_scene
    Follower.objects.update_or_create(openid=openid, defaults=defaults)


def record_unsubscribe(openid: str, when: datetime) -> None:
    Follower.objects.update_or_create(
        openid=openid, defaults={"subscribed": False, "unsubscribed_at": when}
    )
