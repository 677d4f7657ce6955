"""Followers and tags: mirror WeChat's lists into audience.Follower / FollowerTag, and tag."""

import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from django.db import transaction

from weizhi.audience.models import Follower, FollowerTag
from weizhi.audience.services import mark_unfollowed_except, mirror_followers
from weizhi.wechat.api.client import WeChatClient

log = logging.getLogger(__name__)

STANDARD_TAGS = ("办公系统", "政工干部", "党员", "群众")
INFO_BATCH = 100  # user/info/batchget takes at most 100 openids
TAGGING_BATCH = 50  # tags/members/batchtagging takes at most 50


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def sync_tags(client: WeChatClient, wanted: Sequence[str] = STANDARD_TAGS) -> dict[str, int]:
    """Create the standard tags (and local ones never pushed) in WeChat; mirror all locally."""
    remote = {t["name"]: int(t["id"]) for t in client.get("/cgi-bin/tags/get").get("tags", [])}
    local_only = FollowerTag.objects.filter(wechat_id__isnull=True).values_list("name", flat=True)
    for name in [*wanted, *local_only]:
        if name not in remote:
            body = client.post("/cgi-bin/tags/create", {"tag": {"name": name}})
            remote[name] = int(body["tag"]["id"])
    with transaction.atomic():
        for name, tag_id in remote.items():
            _mirror_tag(name, tag_id)
    return remote


def _mirror_tag(name: str, tag_id: int) -> None:
    tag = FollowerTag.objects.filter(wechat_id=tag_id).first()
    if tag is None:
        tag, _ = FollowerTag.objects.get_or_create(name=name)
    if (tag.name, tag.wechat_id) != (name, tag_id):
        # renamed in WeChat's console, or first linked to its WeChat id
        FollowerTag.objects.filter(name=name).exclude(pk=tag.pk).update(name=f"{name}（旧）")
        tag.name, tag.wechat_id = name, tag_id
        tag.save()


def remote_openids(client: WeChatClient) -> list[str]:
    """Every follower's openid, page by page (user/get returns up to 10,000 at a time)."""
    openids: list[str] = []
    next_openid = ""
    while True:
        body = client.get("/cgi-bin/user/get", {"next_openid": next_openid})
        page = (body.get("data") or {}).get("openid") or []
        openids.extend(page)
        next_openid = body.get("next_openid") or ""
        if not page or not next_openid or len(openids) >= int(body.get("total", 0)):
            return openids


def sync_followers(client: WeChatClient) -> dict[str, int]:
    """Mirror WeChat's followers and their tags; mark those no longer following."""
    tags_by_id = dict(
        FollowerTag.objects.filter(wechat_id__isnull=False).values_list("wechat_id", "pk")
    )
    openids = remote_openids(client)
    created = 0
    for chunk in _chunks(openids, INFO_BATCH):
        wanted = [{"openid": openid, "lang": "zh_CN"} for openid in chunk]
        infos = client.post("/cgi-bin/user/info/batchget", {"user_list": wanted}, idempotent=True)
        created += _store_infos(infos.get("user_info_list") or [], tags_by_id)
    gone = mark_unfollowed_except(openids)
    log.info(
        "wechat followers synced total=%d created=%d unsubscribed=%d", len(openids), created, gone
    )
    return {"total": len(openids), "created": created, "unsubscribed": gone}


def _follower_fields(info: dict) -> dict:
    subscribed_at = None
    if info.get("subscribe_time"):
        subscribed_at = datetime.fromtimestamp(int(info["subscribe_time"]), tz=UTC)
    return {
        "unionid": info.get("unionid", ""),
        "remark": (info.get("remark") or "")[:30],
        "subscribed": bool(info.get("subscribe")),
        "subscribed_at": subscribed_at,
        "language": info.get("language", ""),
        "subscribe_scene": info.get("subscribe_scene", ""),
        "qr_scene": str(info.get("qr_scene_str") or info.get("qr_scene") or "")[:64],
    }


def _store_infos(infos: list[dict], tags_by_id: dict[int, int]) -> int:
    by_openid = {str(info["openid"]): info for info in infos if info.get("openid")}
    return mirror_followers(
        {openid: _follower_fields(info) for openid, info in by_openid.items()},
        {
            openid: [tags_by_id[t] for t in info.get("tagid_list") or [] if t in tags_by_id]
            for openid, info in by_openid.items()
        },
    )


def tag_followers(tag: FollowerTag, openids: Sequence[str], client: WeChatClient) -> None:
    """Give followers a tag in WeChat (50 at a time) and here."""
    if tag.wechat_id is None:
        sync_tags(client, [tag.name])
        tag.refresh_from_db()
    for chunk in _chunks(list(openids), TAGGING_BATCH):
        body = {"openid_list": list(chunk), "tagid": tag.wechat_id}
        client.post("/cgi-bin/tags/members/batchtagging", body, idempotent=True)
        tag.followers.add(*Follower.objects.filter(openid__in=chunk))
