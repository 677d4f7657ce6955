"""The WeChat tags a follower should carry, derived from the roster."""

from __future__ import annotations

from django.db import transaction

from .models import Follower, FollowerTag, Member, PoliticalStatus, RoleTag

MASSES = "群众"
STATUS_TAGS: dict[str, set[str]] = {
    PoliticalStatus.FULL: {"党员"},
    PoliticalStatus.PROBATIONARY: {"党员", "预备党员"},
    PoliticalStatus.ACTIVIST: {"入党积极分子"},
    PoliticalStatus.LEAGUE: {"共青团员"},
    PoliticalStatus.MASSES: {MASSES},
}


def tags_for_member(member: Member | None) -> set[str]:
    """Status tags plus role tags; anyone not (or no longer) on the roster counts as 群众."""
    if member is None or not member.active:
        return {MASSES}
    return STATUS_TAGS[member.status] | {tag.name for tag in member.role_tags.all()}


def managed_tag_names() -> set[str]:
    # Tags the roster owns; tags made by hand in WeChat (e.g. 活动报名) are left alone.
    names = set().union(*STATUS_TAGS.values())
    return names | set(RoleTag.objects.values_list("name", flat=True))


def apply_follower_tags(follower: Follower) -> set[str]:
    """Record on the follower the tags its roster entry wants; the outbound sync pushes them."""
    desired = tags_for_member(follower.member)
    with transaction.atomic():
        for name in desired:
            FollowerTag.objects.get_or_create(name=name)
        managed = managed_tag_names()
        current = set(follower.tags.values_list("name", flat=True))
        stale = (current & managed) - desired
        if stale:
            follower.tags.remove(*FollowerTag.objects.filter(name__in=stale))
        if desired - current:
            follower.tags.add(*FollowerTag.objects.filter(name__in=desired - current))
    return desired
