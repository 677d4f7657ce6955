"""Meeting check-in: a code that changes every 30 seconds, signed with the meeting's own key.

The host's screen shows the code of the current 30-second window as a QR code; a code is
accepted during its window and the next one (so a scan at the turn of a window still
counts), which makes a photo of the screen useless after a minute at most.
"""

from __future__ import annotations

import time

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from weizhi.analytics import events
from weizhi.audience.models import Member

from .models import CheckIn, Meeting

WINDOW = 30


class CheckInError(Exception):
    """A refusal with a message for the member."""


def window(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // WINDOW)


def _digest(meeting: Meeting, n: int) -> str:
    return salted_hmac(f"surveys.checkin.{meeting.secret}", f"{meeting.pk}:{n}").hexdigest()[:20]


def code(meeting: Meeting, now: float | None = None) -> str:
    n = window(now)
    return f"{n}-{_digest(meeting, n)}"


def check_code(meeting: Meeting, value: str, now: float | None = None) -> None:
    """Raises CheckInError unless the code is this meeting's, from now or the window before."""
    n_text, _, digest = value.partition("-")
    if not n_text.isdigit() or not constant_time_compare(digest, _digest(meeting, int(n_text))):
        raise CheckInError("签到码无效，请扫描会场屏幕上的二维码。")
    if window(now) - int(n_text) not in (0, 1):
        raise CheckInError("签到码已过期，请扫描会场屏幕上最新的二维码。")


def check_in(meeting: Meeting, member: Member, value: str, now: float | None = None) -> CheckIn:
    check_code(meeting, value, now)
    at = timezone.now()
    if not meeting.starts_at - timezone.timedelta(hours=1) <= at <= meeting.ends_at:
        raise CheckInError("不在签到时间内（会议开始前 1 小时至会议结束）。")
    try:
        with transaction.atomic():
            checkin = CheckIn.objects.create(meeting=meeting, member=member, at=at)
            events.record("checkin", member=member, key=f"checkin:{checkin.pk}", at=at)
            return checkin
    except IntegrityError:
        raise CheckInError("您已经签到过了。") from None


def expected(meeting: Meeting) -> QuerySet[Member]:
    q = Q(pk__in=[])
    for branch in meeting.expected_branches.all():
        q |= Q(branch__path__startswith=branch.path)
    return Member.objects.active().filter(q)


def missing(meeting: Meeting) -> QuerySet[Member]:
    return expected(meeting).exclude(pk__in=meeting.checkins.values("member_id"))
