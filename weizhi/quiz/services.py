"""Taking a quiz: start (or resume) an attempt, answer one question, hand in. The clock is
the server's: an attempt's deadline is fixed when it starts, so a refresh or a second device
resumes the same attempt with the same deadline, and an answer that arrives after it (plus
GRACE_SECONDS for the request in flight) is refused and not counted.

Every write is one short transaction on rows of one member; nothing read-modify-writes a
shared row. Answers are idempotent per (attempt, question): a retry with the same key gets
the stored result, any other second answer is refused.
"""

from __future__ import annotations

import logging
import random
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from weizhi.analytics import events
from weizhi.audience.models import PARTY_STATUSES, Member
from weizhi.points import services as points

from . import scoring
from .models import Activity, Answer, Attempt, Audience, Kind, Mode, Question

log = logging.getLogger(__name__)
GRACE_SECONDS = 2


class Refused(Exception):
    """A request refused; ``message`` is Chinese, for the member; ``status`` the HTTP code."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def may_take(activity: Activity, member: Member, now=None) -> str:
    """Why this member may not take the activity now, or "" if they may."""
    now = now or timezone.now()
    if not activity.enabled:
        return "这个答题活动已停用。"
    if activity.opens_at and now < activity.opens_at:
        return "答题活动还没有开始。"
    if activity.closes_at and now >= activity.closes_at:
        return "答题活动已经结束。"
    if activity.audience == Audience.PARTY and member.status not in PARTY_STATUSES:
        return "本活动仅限党员参加。"
    if activity.audience == Audience.BRANCHES:
        paths = [b.path for b in activity.branches.all()]
        if not any(member.branch.path.startswith(p) for p in paths):
            return "你所在的组织不在本活动的参与范围内。"
    return ""


def _quotas(text: str) -> list[tuple[str, str, int]]:
    """Lines "党章 3" / "判断题 2" → [("category", "党章", 3), ("kind", "judge", 2)]."""
    found = []
    for line in text.splitlines():
        parts = line.replace("：", " ").replace(":", " ").split()
        if len(parts) != 2 or not parts[1].isdigit():
            continue
        name, count = parts[0], int(parts[1])
        if name in scoring.KIND_BY_LABEL:
            found.append(("kind", scoring.KIND_BY_LABEL[name], count))
        else:
            found.append(("category", name, count))
    return found


def draw(activity: Activity, day, rng: random.Random | None = None) -> list[dict]:
    """The questions of a new attempt, each with the order its options are shown in."""
    if rng is None:
        if activity.mode == Mode.DAILY:
            # The same set for everyone that day: a seed anyone could compute is fine here.
            rng = random.Random(f"daily:{activity.pk}:{day}")  # noqa: S311
        else:
            rng = secrets.SystemRandom()
    pool = Question.objects.enabled()
    if activity.category:
        pool = pool.filter(category=activity.category)
    rows = list(pool.order_by("pk").values_list("pk", "kind", "category", "options"))
    n = activity.question_count
    if activity.mode == Mode.TOPIC:
        chosen = rows[:n]  # a fixed set, the same for everyone, in the bank's order
    else:
        chosen = []
        taken: set[int] = set()
        for field, value, count in _quotas(activity.quotas):
            index = 2 if field == "category" else 1
            fits = [r for r in rows if r[index] == value and r[0] not in taken]
            for r in rng.sample(fits, min(count, len(fits), n - len(chosen))):
                chosen.append(r)
                taken.add(r[0])
        rest = [r for r in rows if r[0] not in taken]
        chosen += rng.sample(rest, min(len(rest), n - len(chosen)))
        rng.shuffle(chosen)
    drawn = []
    for pk, kind, _, options in chosen:
        order = list(range(len(options)))
        if kind in (Kind.SINGLE, Kind.MULTIPLE):
            rng.shuffle(order)
        drawn.append({"q": pk, "o": order})
    return drawn


def _open_attempt(activity: Activity, member: Member, now) -> Attempt | None:
    attempt = (
        Attempt.objects.filter(activity=activity, member=member, finished_at__isnull=True)
        .order_by("-started_at")
        .first()
    )
    if attempt and attempt.deadline and now > attempt.deadline + timedelta(seconds=GRACE_SECONDS):
        finish(attempt, member, now=now)  # ran out of time while away: handed in as it is
        return None
    return attempt


def start(activity: Activity, member: Member, now=None) -> Attempt:
    """The member's attempt in progress, or a new one if they have attempts left."""
    now = now or timezone.now()
    attempt = _open_attempt(activity, member, now)
    if attempt is not None:
        return attempt
    reason = may_take(activity, member, now)
    if reason:
        raise Refused(reason, 403)
    day = timezone.localdate(now)
    mine = Attempt.objects.filter(activity=activity, member=member)
    if activity.mode == Mode.TOPIC and mine.exists():
        raise Refused("专项答题每人只能参加一次。", 409)
    number = mine.filter(day=day).count() + 1
    if activity.mode != Mode.TOPIC and number > activity.attempts_per_day:
        raise Refused(f"今天的 {activity.attempts_per_day} 次答题机会已用完，明天再来。", 409)
    drawn = draw(activity, day)
    if not drawn:
        raise Refused("题库里还没有可用的题目。", 409)
    questions = {q.pk: q for q in Question.objects.filter(pk__in=[d["q"] for d in drawn])}
    deadline = now + timedelta(seconds=activity.time_limit) if activity.time_limit else None
    try:
        with transaction.atomic():
            return Attempt.objects.create(
                activity=activity, member=member, day=day, number=number, started_at=now,
                deadline=deadline, drawn=drawn,
                max_score=sum(questions[d["q"]].score for d in drawn),
            )  # fmt: skip
    except IntegrityError:
        # Another device started the same attempt at the same moment: resume theirs.
        attempt = _open_attempt(activity, member, now)
        if attempt is None:
            raise Refused("请刷新页面后重试。", 409) from None
        return attempt


@dataclass(frozen=True)
class Saved:
    answer: Answer
    repeated: bool  # a retry of an answer already stored


def _own(attempt_id: int, member: Member) -> Attempt:
    attempt = Attempt.objects.select_related("activity").filter(pk=attempt_id).first()
    if attempt is None or attempt.member_id != member.pk:
        raise Refused("找不到这次答题，或它不属于你。", 404)
    return attempt


def answer(
    attempt_id: int, member: Member, question_id: int, given: list[str], key: str, now=None
) -> Saved:
    """Store one answer, marked by the server. ``key`` identifies the submission, so that a
    retry after a lost response gets the same result instead of a refusal."""
    now = now or timezone.now()
    key = (key or "")[:64]
    attempt = _own(attempt_id, member)
    stored = Answer.objects.filter(attempt=attempt, question_id=question_id).first()
    if stored is not None:
        if key and stored.key == key:
            return Saved(stored, True)
        raise Refused("这道题已经作答，不能再改。", 409)
    if attempt.finished:
        raise Refused("本次答题已经交卷。", 409)
    if attempt.deadline and now > attempt.deadline + timedelta(seconds=GRACE_SECONDS):
        finish(attempt, member, now=now)
        raise Refused("已超过答题时间，这个答案不计分。", 409)
    ids = attempt.question_ids()
    if question_id not in ids:
        raise Refused("这道题不在你本次抽到的题目中。", 400)
    if attempt.activity.mode == Mode.CHALLENGE:
        answered = Answer.objects.filter(attempt=attempt).count()
        if ids.index(question_id) != answered:
            raise Refused("挑战答题需要按顺序逐题作答。", 409)
    question = Question.objects.get(pk=question_id)
    given = [g[:200] for g in given[:8]]
    marked = question.mark(given if question.kind == Kind.BLANK else "".join(given))
    try:
        with transaction.atomic():
            saved = Answer.objects.create(
                attempt=attempt, question=question, given=given, correct=marked.correct,
                points=marked.points, key=key, answered_at=now,
            )  # fmt: skip
    except IntegrityError:
        stored = Answer.objects.get(attempt=attempt, question_id=question_id)
        if key and stored.key == key:
            return Saved(stored, True)
        raise Refused("这道题已经作答，不能再改。", 409) from None
    if attempt.activity.mode == Mode.CHALLENGE and (not marked.correct or len(ids) == answered + 1):
        finish(attempt, member, now=now)
    return Saved(saved, False)


def answer_all(attempt: Attempt, member: Member, given: dict[int, list[str]], now=None) -> int:
    """The hand-in form's answers to questions not answered yet, stored together in one
    transaction if still in time (a late form stores nothing). Returns how many stored."""
    now = now or timezone.now()
    if attempt.member_id != member.pk:
        raise Refused("找不到这次答题，或它不属于你。", 404)
    if attempt.finished or attempt.activity.mode == Mode.CHALLENGE:
        return 0
    if attempt.deadline and now > attempt.deadline + timedelta(seconds=GRACE_SECONDS):
        return 0
    drawn = set(attempt.question_ids())
    stored = set(Answer.objects.filter(attempt=attempt).values_list("question_id", flat=True))
    wanted = {q: g for q, g in given.items() if q in drawn and q not in stored}
    rows = []
    for q in Question.objects.filter(pk__in=wanted):
        values = [g[:200] for g in wanted[q.pk][:8]]
        marked = q.mark(values if q.kind == Kind.BLANK else "".join(values))
        rows.append(
            Answer(attempt=attempt, question=q, given=values, correct=marked.correct,
                   points=marked.points, answered_at=now)
        )  # fmt: skip
    if rows:
        # A question answered meanwhile (by the page's own request) keeps that answer.
        with transaction.atomic():
            Answer.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def finish(attempt: Attempt, member: Member, now=None) -> Attempt:
    """Hand in: the score is the sum of the answers the server marked, whatever the client
    says. Handing in twice changes nothing."""
    now = now or timezone.now()
    if attempt.member_id != member.pk:
        raise Refused("找不到这次答题，或它不属于你。", 404)
    totals = Answer.objects.filter(attempt=attempt).aggregate(
        score=Sum("points"), right=Count("pk", filter=Q(correct=True))
    )
    with transaction.atomic():
        changed = Attempt.objects.filter(pk=attempt.pk, finished_at__isnull=True).update(
            finished_at=now, score=totals["score"] or 0, correct_count=totals["right"]
        )
        if changed:
            # In the same transaction: a hand-in is never stored without its points, nor
            # the points without it, and a retry after a failure does both.
            _award(attempt.pk, member)
            events.record(
                "quiz",
                member=member,
                key=f"attempt:{attempt.pk}",
                value=totals["score"] or 0,
                at=now,
            )
    attempt.refresh_from_db()
    return attempt


def _award(attempt_id: int, member: Member) -> None:
    attempt = Attempt.objects.get(pk=attempt_id)
    points.award(member, "quiz_finish", f"attempt:{attempt.pk}")
    if attempt.correct_count == len(attempt.drawn) and attempt.drawn:
        points.award(member, "quiz_full_score", f"attempt:{attempt.pk}")


def attempts_left(activity: Activity, member: Member, day=None) -> int:
    day = day or timezone.localdate()
    mine = Attempt.objects.filter(activity=activity, member=member)
    if activity.mode == Mode.TOPIC:
        return 0 if mine.exists() else 1
    return max(0, activity.attempts_per_day - mine.filter(day=day).count())
