"""Every change to the roster and to who a follower is goes through one of these functions.

Each opens its transaction, writes, leaves an audit entry, and schedules the WeChat tag sync
once the transaction has committed.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.hashers import check_password, is_password_usable, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .models import (
    AuditEntry,
    BindingRequest,
    Branch,
    BranchMembership,
    Follower,
    Member,
)
from .tasks import sync_follower_tags, sync_member_tags

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def audit(action: str, *, user=None, by_member: Member | None = None, **fields: Any) -> AuditEntry:
    detail = fields.pop("detail", {})
    return AuditEntry.objects.create(
        action=action, user=user, by_member=by_member, detail=detail, **fields
    )


def _sync_tags_later(member: Member | None = None, follower: Follower | None = None) -> None:
    if member is not None:
        transaction.on_commit(lambda: sync_member_tags.enqueue(member.pk))
    if follower is not None:
        transaction.on_commit(lambda: sync_follower_tags.enqueue(follower.pk))


def enroll_member(member: Member, *, by=None) -> None:
    """Open the first branch-history row for a member just created in the admin."""
    BranchMembership.objects.create(member=member, branch=member.branch)
    _sync_tags_later(member)


def move_member(member: Member, branch: Branch, *, by=None) -> None:
    """Transfer a member to another branch, closing the old row of their branch history."""
    with transaction.atomic():
        old = Member.objects.select_for_update().get(pk=member.pk).branch
        now = timezone.now()
        if old.pk != branch.pk:
            member.memberships.filter(ended_at__isnull=True).update(ended_at=now)
            BranchMembership.objects.create(member=member, branch=branch, started_at=now)
            audit(
                AuditEntry.Action.MOVE,
                user=by,
                member=member,
                detail={"from": old.name, "to": branch.name},
            )
        member.branch = branch
        Member.objects.filter(pk=member.pk).update(branch=branch)


def roster_changed(member: Member) -> None:
    """The admin edited status, tags or active flag: bring the WeChat tags in step."""
    _sync_tags_later(member)


def bind_follower(
    follower: Follower, member: Member, *, by=None, by_member: Member | None = None, how: str
) -> None:
    """Bind a follower to a member; whichever of them was bound elsewhere is unbound first."""
    with transaction.atomic():
        previous = Follower.objects.filter(member=member).exclude(pk=follower.pk).first()
        if previous is not None:
            unbind_follower(previous, by=by, by_member=by_member, reason="rebind")
        if follower.member_id and follower.member_id != member.pk:
            unbind_follower(follower, by=by, by_member=by_member, reason="rebind")
        follower.member = member
        follower.save(update_fields=["member"])
        audit(
            AuditEntry.Action.BIND,
            user=by,
            by_member=by_member,
            member=member,
            follower=follower,
            detail={"how": how},
        )
        _sync_tags_later(member)


def unbind_follower(
    follower: Follower, *, by=None, by_member: Member | None = None, reason: str = ""
) -> None:
    with transaction.atomic():
        member = follower.member
        if member is None:
            return
        follower.member = None
        follower.save(update_fields=["member"])
        audit(
            AuditEntry.Action.UNBIND,
            user=by,
            by_member=by_member,
            member=member,
            follower=follower,
            detail={"reason": reason} if reason else {},
        )
        _sync_tags_later(follower=follower)


def follower_for_sign_in(openid: str, **new_fields: bool) -> Follower:
    """The follower signing in on the web (WeChat's web OAuth, or a login link sent in the
    chat), added with `new_fields` when WeChat has not told us of them yet."""
    follower, _ = Follower.objects.get_or_create(openid=openid, defaults=new_fields)
    return follower


@transaction.atomic
def mirror_followers(fields: dict[str, dict[str, Any]], tag_pks: dict[str, list[int]]) -> int:
    """Followers as WeChat lists them (the follower sync), by openid: the new ones added, the
    others' fields updated, and everyone's tags set to the given FollowerTag pks. How many
    were new."""
    existing = Follower.objects.in_bulk(list(fields), field_name="openid")
    new = [Follower(openid=o, **f) for o, f in fields.items() if o not in existing]
    Follower.objects.bulk_create(new)
    for openid, follower in existing.items():
        for name, value in fields[openid].items():
            setattr(follower, name, value)
    if existing:
        names = sorted({name for openid in existing for name in fields[openid]})
        Follower.objects.bulk_update(existing.values(), names)
    followers = Follower.objects.in_bulk(list(fields), field_name="openid")
    through = Follower.tags.through
    through.objects.filter(follower__in=followers.values()).delete()
    through.objects.bulk_create(
        through(follower_id=followers[openid].pk, followertag_id=pk)
        for openid, pks in tag_pks.items()
        for pk in pks
    )
    return len(new)


def mark_unfollowed_except(openids: list[str]) -> int:
    """Real followers missing from WeChat's full list have unfollowed; how many."""
    return (
        Follower.objects.filter(subscribed=True, simulated=False)
        .exclude(openid__in=openids)
        .update(subscribed=False)
    )


def verify_identity(employee_number: str, name: str, phone_last4: str) -> Member | None:
    """The member whose roster entry matches all three answers, or None."""
    phone_last4 = phone_last4.strip()
    if not re.fullmatch(r"\d{4}", phone_last4):
        return None
    member = (
        Member.objects.active()
        .filter(employee_number=employee_number.strip(), name=name.strip())
        .first()
    )
    if member is None or len(member.phone) != 11 or not member.phone.endswith(phone_last4):
        return None
    return member


def request_binding(follower: Follower, member: Member, note: str = "") -> BindingRequest:
    with transaction.atomic():
        request, created = BindingRequest.objects.get_or_create(
            follower=follower,
            member=member,
            state=BindingRequest.State.PENDING,
            defaults={"note": note[:200]},
        )
        if created:
            audit(AuditEntry.Action.REQUEST, member=member, follower=follower)
        return request


def decide_binding(request: BindingRequest, *, approve: bool, by) -> None:
    with transaction.atomic():
        request = BindingRequest.objects.select_for_update().get(pk=request.pk)
        if request.state != BindingRequest.State.PENDING:
            return
        request.state = BindingRequest.State.APPROVED if approve else BindingRequest.State.REJECTED
        request.decided_at, request.decided_by = timezone.now(), by
        request.save(update_fields=["state", "decided_at", "decided_by"])
        if approve:
            bind_follower(request.follower, request.member, by=by, how="approval")
        else:
            audit(
                AuditEntry.Action.REJECT, user=by, member=request.member, follower=request.follower
            )


def authenticate_member(employee_number: str, password: str) -> Member | None:
    """The active member with this employee number and password, or None.

    The hasher runs whether or not the number is on the roster with a password (against a
    fresh hash, as Django's ModelBackend does), so the time taken tells no one which
    employee numbers exist.
    """
    member = Member.objects.active().filter(employee_number=employee_number.strip()).first()
    if member is None or not member.password or not is_password_usable(member.password):
        make_password(password)
        return None
    return member if check_password(password, member.password) else None


def set_member_password(member: Member, raw: str, *, by=None) -> None:
    """Raises ValidationError with Django's (Chinese) password messages."""
    validate_password(raw)
    with transaction.atomic():
        member.password = make_password(raw)
        member.save(update_fields=["password"])
        audit(AuditEntry.Action.PASSWORD, user=by, by_member=None if by else member, member=member)


def clear_member_password(member: Member, *, by) -> None:
    """An administrator resets a forgotten password: every session signed in with it ends (the
    digest no longer matches) and the member may prove who they are and choose a new one."""
    with transaction.atomic():
        member.password = ""
        member.save(update_fields=["password"])
        audit(AuditEntry.Action.RESET, user=by, member=member)


def clean_phone(phone: str) -> str:
    phone = re.sub(r"[\s-]", "", phone or "")
    if phone and not PHONE_RE.match(phone):
        raise ValidationError("手机号应为 11 位数字，以 1 开头。")
    return phone


def update_member_phone(member: Member, phone: str) -> None:
    phone = clean_phone(phone)
    if phone == member.phone:
        return
    old = member.masked_phone
    member.phone = phone
    member.save(update_fields=["phone"])
    audit(
        AuditEntry.Action.PROFILE,
        by_member=member,
        member=member,
        detail={"phone": [old, member.masked_phone]},
    )


def log_export(user, filters: dict[str, Any], count: int) -> None:
    audit(AuditEntry.Action.EXPORT, user=user, detail={"filters": filters, "rows": count})
