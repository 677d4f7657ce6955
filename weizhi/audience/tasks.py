"""Keeping followers' WeChat tags in step with the roster, after each change."""

from weizhi.core.taskqueue import task

from .models import Follower
from .tags import apply_follower_tags


@task()
def sync_member_tags(member_id: int) -> list[str]:
    follower = Follower.objects.select_related("member").filter(member_id=member_id).first()
    if follower is None:
        return []
    return sorted(apply_follower_tags(follower))


@task()
def sync_follower_tags(follower_id: int) -> list[str]:
    follower = Follower.objects.select_related("member").filter(pk=follower_id).first()
    if follower is None:
        return []
    return sorted(apply_follower_tags(follower))
