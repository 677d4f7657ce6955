"""Every change of state of a survey: drafts, submissions, quota places, sign-up cancels.

Each submission is one short transaction that inserts rows and updates none that others
share: the Participation row (unique per survey and person) makes a second response fail in
the database, and each quota place is a row with a unique slot number.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.crypto import salted_hmac

from weizhi.analytics import events
from weizhi.audience.models import Follower, Member

from . import logic
from .models import Draft, Participation, QuotaClaim, Response, Survey

log = logging.getLogger(__name__)
CAPACITY = "_cap"  # the QuotaClaim code of a sign-up's places


class SurveyError(Exception):
    """A refusal with a message for the respondent."""


class AlreadyAnswered(SurveyError):
    pass


class QuotaFull(SurveyError):
    pass


class Incomplete(SurveyError):
    def __init__(self, missing: list[str]) -> None:
        super().__init__(f"还有必答题没有回答：{'、'.join(missing)}。")
        self.missing = missing


@dataclass(frozen=True)
class Respondent:
    """Who is answering: a roster member, a WeChat follower, or only a browser (``key``)."""

    key: str
    member: Member | None = None
    follower: Follower | None = None


def person_token(survey: Survey, respondent: Respondent) -> str:
    """A keyed digest of survey and person: the same person always gets the same token, and
    nobody without the site's secret can tell whose it is."""
    return salted_hmac(
        "surveys.person", f"{survey.pk}:{respondent.key}", algorithm="sha256"
    ).hexdigest()


def refusal(survey: Survey, respondent: Respondent) -> str | None:
    """Why this person may not answer now, or None."""
    now = timezone.now()
    if not survey.published or survey.is_template:
        return "问卷尚未发布。"
    if survey.opens_at and now < survey.opens_at:
        return f"问卷将于 {timezone.localtime(survey.opens_at):%Y-%m-%d %H:%M} 开始。"
    if survey.closes_at and now >= survey.closes_at:
        return "问卷已经截止。"
    member = respondent.member
    if not survey.anonymous and member is None:
        return "这是实名问卷，请先登录。"
    if survey.audience == Survey.Audience.MEMBERS and member is None:
        return "本问卷仅限在册党员作答，请先登录。"
    if survey.audience == Survey.Audience.BRANCHES and (
        member is None or not member.branch.is_within(*survey.branches.all())
    ):
        return "本问卷仅限指定党组织的党员作答。"
    if survey.audience == Survey.Audience.TAGGED:
        follower = respondent.follower
        if follower is None or survey.tag_id is None:
            return "本问卷仅限指定的公众号粉丝作答，请在微信中打开。"
        if not follower.tags.filter(pk=survey.tag_id).exists():
            return "本问卷仅限指定的公众号粉丝作答。"
    return None


def has_answered(survey: Survey, respondent: Respondent) -> bool:
    token = person_token(survey, respondent)
    return Participation.objects.filter(survey=survey, token=token).exists()


def taken_places(survey: Survey) -> Counter:
    rows = QuotaClaim.objects.filter(survey=survey).values("code", "option").annotate(n=Count("pk"))
    return Counter({(r["code"], r["option"]): r["n"] for r in rows})


def offered(survey: Survey, items: list[logic.Item]) -> dict[str, set[str]]:
    """Per question, the option keys still open (an option whose quota is full is not)."""
    taken = taken_places(survey)
    return {
        item.code: {
            o.key for o in item.options if o.quota is None or taken[(item.code, o.key)] < o.quota
        }
        for item in items
        if item.options
    }


def load_draft(survey: Survey, respondent: Respondent) -> Draft:
    token = person_token(survey, respondent)
    return Draft.objects.filter(survey=survey, token=token).first() or Draft(
        survey=survey, token=token
    )


def save_page(
    survey: Survey, respondent: Respondent, draft: Draft, page_answers: Mapping[str, Any], page: int
) -> int | None:
    """Keeps a page's answers in the draft; returns the next page, or None at the end."""
    items = survey.items()
    answers = {k: v for k, v in draft.answers.items() if not _belongs(k, items, page)}
    answers.update(page_answers)
    draft.answers = answers
    visited = [p for p in draft.visited if p < page] + [page]
    following = logic.next_page(items, page, answers)
    draft.visited = visited
    draft.page = page if following is None else following
    draft.save()
    return following


def _belongs(key: str, items: list[logic.Item], page: int) -> bool:
    code = key.split(":")[0]
    return any(i.code == code and i.page == page for i in items)


def _claim(survey: Survey, code: str, option: str, quota: int) -> int:
    """Takes the lowest free place of 1..quota; QuotaFull when none is left."""
    taken = set(
        QuotaClaim.objects.filter(survey=survey, code=code, option=option).values_list(
            "slot", flat=True
        )
    )
    free = [n for n in range(1, quota + 1) if n not in taken]
    for slot in free[:3]:
        try:
            with transaction.atomic():
                QuotaClaim.objects.create(survey=survey, code=code, option=option, slot=slot)
            return slot
        except IntegrityError:
            continue  # someone took it a moment ago: try the next one
    raise QuotaFull("名额已满。")


def submit(survey: Survey, respondent: Respondent, draft: Draft) -> Response:
    """Submits the draft as this person's one response."""
    reason = refusal(survey, respondent)
    if reason:
        raise SurveyError(reason)
    items = survey.items()
    answers, missing = logic.finish(items, draft.answers)
    if missing:
        raise Incomplete(missing)
    member = None if survey.anonymous else respondent.member
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                Participation.objects.create(survey=survey, token=draft.token)
        except IntegrityError:
            raise AlreadyAnswered("您已经提交过这份问卷，每人只能提交一次。") from None
        for item in items:
            for option in item.options:
                if option.quota and logic._chosen(answers.get(item.code), option.key):
                    try:
                        _claim(survey, item.code, option.key, option.quota)
                    except QuotaFull:
                        raise QuotaFull(f"“{option.label}”的名额已满，请重新选择。") from None
        waiting = False
        if survey.kind == Survey.Kind.SIGNUP and survey.capacity:
            try:
                _claim(survey, CAPACITY, "", survey.capacity)
            except QuotaFull:
                waiting = True
        response = Response.objects.create(
            survey=survey,
            answers=answers,
            submitted_on=timezone.localdate(now),
            submitted_at=None if survey.anonymous else now,
            member=member,
            branch=member.branch if member else None,
            status=member.status if member else "",
            waiting=waiting,
        )
        if draft.pk:
            draft.delete()
        events.record("survey", member=member, key=f"response:{response.pk}", at=now)
    if survey.anonymous:
        log.info("survey response survey=%s", survey.pk)
    else:
        log.info("survey response survey=%s member=%s", survey.pk, member.pk if member else "-")
    return response


def cancel_signup(survey: Survey, member: Member) -> Response | None:
    """Withdraws a member's sign-up before the deadline; the first on the waiting list takes
    the freed place. Returns the promoted response, if any."""
    if survey.closes_at and timezone.now() >= survey.closes_at:
        raise SurveyError("报名已截止，不能再取消。")
    with transaction.atomic():
        response = (
            Response.objects.select_for_update()
            .filter(survey=survey, member=member, cancelled_at__isnull=True)
            .first()
        )
        if response is None:
            raise SurveyError("您还没有报名。")
        response.cancelled_at = timezone.now()
        response.save(update_fields=["cancelled_at"])
        token = person_token(survey, Respondent(key=f"m:{member.pk}", member=member))
        Participation.objects.filter(survey=survey, token=token).delete()
        if response.waiting or not survey.capacity:
            return None
        # The freed place: the highest-numbered claim is as good as any.
        claim = QuotaClaim.objects.filter(survey=survey, code=CAPACITY).order_by("-slot").first()
        if claim:
            claim.delete()
        nxt = (
            Response.objects.filter(survey=survey, waiting=True, cancelled_at__isnull=True)
            .order_by("submitted_at")
            .first()
        )
        if nxt is None:
            return None
        _claim(survey, CAPACITY, "", survey.capacity)
        nxt.waiting = False
        nxt.save(update_fields=["waiting"])
        return nxt


def copy_survey(survey: Survey, title: str | None = None) -> Survey:
    """A new, unpublished survey with the same settings and questions (from a template)."""
    questions = list(survey.questions.all())
    branches = list(survey.branches.all())
    with transaction.atomic():
        copy = Survey.objects.get(pk=survey.pk)
        copy.pk = None
        copy.title = title or f"{survey.title}（副本）"
        copy.published = False
        copy.is_template = False
        copy.save()
        copy.branches.set(branches)
        for q in questions:
            q.pk = None
            q.survey = copy
            q.save()
    return copy
