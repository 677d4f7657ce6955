"""Keep the roster's tags in WeChat: 党员, 群众, 办公系统 … on each follower as the roster says.

The roster decides the tags it owns (audience.tags); WeChat must carry the same, so that a
mass send to 党员 reaches the members. Two doors: after a follower's tags change here (a
binding, a member moved or edited), a task pushes that follower; and the daily follower sync,
which first mirrors WeChat's view, then re-applies the roster and pushes every difference.
Only a real account is pushed to; the simulated one has nobody to tag.
"""

import contextvars
import logging
from collections import defaultdict

from django.db import transaction
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from weizhi.audience.models import Follower, FollowerTag
from weizhi.audience.tags import apply_follower_tags, managed_tag_names
from weizhi.core.taskqueue import task
from weizhi.wechat.account import current_account
from weizhi.wechat.api.client import WeChatClient, default_client
from weizhi.wechat.api.errors import WeChatAPIError

from .sync import TAGGING_BATCH, _chunks, sync_followers, sync_tags

log = logging.getLogger(__name__)

# Set while a whole sync re-applies the roster, which pushes in batches of its own.
_in_bulk = contextvars.ContextVar("roster_tags_in_bulk", default=False)


def _tag_ids(client: WeChatClient, names: set[str]) -> dict[str, int]:
    known = dict(
        FollowerTag.objects.filter(name__in=names, wechat_id__isnull=False).values_list(
            "name", "wechat_id"
        )
    )
    if names - set(known):
        remote = sync_tags(client, sorted(names - set(known)))
        known.update({n: remote[n] for n in names if n in remote})
    return known


def _batch(client: WeChatClient, path: str, tag_id: int, openids: list[str]) -> None:
    for chunk in _chunks(openids, TAGGING_BATCH):
        client.post(path, {"openid_list": list(chunk), "tagid": tag_id}, idempotent=True)


def push_differences(
    client: WeChatClient, add: dict[str, list[str]], remove: dict[str, list[str]]
) -> int:
    """Tag and untag in WeChat, 50 followers per call; the number of calls made."""
    ids = _tag_ids(client, set(add) | set(remove))
    calls = 0
    for path, changes in (
        ("/cgi-bin/tags/members/batchtagging", add),
        ("/cgi-bin/tags/members/batchuntagging", remove),
    ):
        for name, openids in changes.items():
            if openids and name in ids:
                _batch(client, path, ids[name], openids)
                calls += -(-len(openids) // TAGGING_BATCH)
    return calls


def reapply_roster(followers) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Apply the roster to followers whose tags mirror WeChat; what to add and remove there."""
    managed = managed_tag_names()
    add: dict[str, list[str]] = defaultdict(list)
    remove: dict[str, list[str]] = defaultdict(list)
    token = _in_bulk.set(True)
    try:
        for follower in followers.select_related("member").prefetch_related("tags"):
            before = {t.name for t in follower.tags.all()} & managed
            wanted = apply_follower_tags(follower)
            for name in wanted - before:
                add[name].append(follower.openid)
            for name in before - wanted:
                remove[name].append(follower.openid)
    finally:
        _in_bulk.reset(token)
    return add, remove


def push_roster_tags(client: WeChatClient) -> int:
    """After a sync from WeChat: make WeChat's roster-owned tags what the roster says."""
    followers = Follower.objects.filter(subscribed=True, simulated=False)
    add, remove = reapply_roster(followers)
    return push_differences(client, add, remove)


@task()
def push_follower_tags(follower_id: int) -> str:
    follower = Follower.objects.filter(pk=follower_id, simulated=False).first()
    if follower is None or not follower.subscribed:
        return "skipped"
    managed = managed_tag_names()
    have = set(follower.tags.values_list("name", flat=True)) & managed
    add = {name: [follower.openid] for name in have}
    remove = {name: [follower.openid] for name in managed - have}
    # Untag only from tags that exist in WeChat; creating a tag just to untag is pointless.
    existing = set(
        FollowerTag.objects.filter(name__in=remove, wechat_id__isnull=False).values_list(
            "name", flat=True
        )
    )
    remove = {name: openids for name, openids in remove.items() if name in existing}
    try:
        push_differences(default_client(), add, remove)
    except WeChatAPIError as exc:
        log.warning("tags of follower %s not pushed: %s", follower_id, exc)
        return exc.operator_message
    return "pushed"


@receiver(m2m_changed, sender=Follower.tags.through)
def _follower_tags_changed(instance, action: str, reverse: bool, **kwargs) -> None:
    if reverse or _in_bulk.get() or action not in ("post_add", "post_remove", "post_clear"):
        return
    if getattr(instance, "simulated", True) or current_account().simulated:
        return
    follower_id = instance.pk
    transaction.on_commit(lambda: push_follower_tags.enqueue(follower_id))


@task()
def sync_followers_task() -> str:
    """Tags first (so followers' tag ids resolve), then the followers."""
    client = default_client()
    try:
        sync_tags(client)
        result = sync_followers(client)
        # WeChat's view is mirrored now; the roster's tags win for the tags it owns.
        push_roster_tags(client)
    except WeChatAPIError as exc:
        log.warning("follower sync failed: %s", exc)
        return exc.operator_message
    total, created, gone = result["total"], result["created"], result["unsubscribed"]
    return f"同步粉丝 {total} 人，新增 {created} 人，取消关注 {gone} 人。"
