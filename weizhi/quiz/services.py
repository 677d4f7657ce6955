"""Taking a quiz: start (or resume) an attempt, answer one question, hand in. The clock is
the server's: an attempt's deadline is fixed when it starts, so a refresh or a second device
resumes the same attempt with the same deadline, and an answer that arrives after it (plus
GRACE_SECONDS for the request in flight) is refused and not counted.

Every write is one short transaction on rows of one member; nothing read-modify-writes a
shared row. Answers are idempotent per (attempt, question): a retry with the same key gets
the stored result, any other second answer is refused.
"""

from __future__ import annotations

import itertools
import logging
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from weizhi.analytics import events
from weizhi.audience.models import PARTY_STATUSES, Member
from weizhi.core import answerafter, steadyconn
from weizhi.core.fastinsert import FastInsert
from weizhi.core.groupcommit import BackgroundCommit, GroupCommit
from weizhi.core.onerow import OneRow
from weizhi.core.sql import placeholders
from weizhi.core.writequeue import write_turn
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
    return outside_audience(activity, member)


def outside_audience(activity: Activity, member: Member) -> str:
    """Why this member is not among the activity's participants, or "" if they are."""
    if activity.audience == Audience.PARTY and member.status not in PARTY_STATUSES:
        return "本活动仅限党员参加。"
    if activity.audience == Audience.BRANCHES and not member.branch.is_within(
        *activity.branches.all()
    ):
        return "你所在的组织不在本活动的参与范围内。"
    return ""


def closed(activity: Activity, now) -> str:
    """Why answers to this activity are no longer taken (it ended, with the same grace as a
    late answer, or was disabled), or "" while they are."""
    if not activity.enabled:
        return "这个答题活动已停用"
    if activity.closes_at and now > activity.closes_at + timedelta(seconds=GRACE_SECONDS):
        return "答题活动已经结束"
    return ""


def overdue(attempt: Attempt, now) -> bool:
    """Past the attempt's deadline (plus grace) or its activity no longer taking answers."""
    if attempt.deadline and now > attempt.deadline + timedelta(seconds=GRACE_SECONDS):
        return True
    return bool(closed(attempt.activity, now))


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
    if attempt:
        attempt.activity = activity
    if attempt and overdue(attempt, now):
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
    if activity.closes_at and (deadline is None or activity.closes_at < deadline):
        deadline = activity.closes_at  # an attempt never outlives its activity
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


def _lock_unfinished(attempt_id: int) -> bool:
    unfinished = Attempt.objects.select_for_update().filter(pk=attempt_id, finished_at=None)
    return bool(list(unfinished.order_by().values_list("pk", flat=True)))


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
    reason = closed(attempt.activity, now)
    if reason:
        finish(attempt, member, now=now)
        raise Refused(f"{reason}，这个答案不计分。", 409)
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
            # The hand-in locks this row too: an answer is stored before it and counted, or
            # refused after it, never stored beside a score that leaves it out.
            if not _lock_unfinished(attempt.pk):
                raise Refused("本次答题已经交卷。", 409)
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


GivenFor = Callable[[Question], list[str]]


def hand_in(
    attempt_id: int,
    member: Member,
    given_for: GivenFor | None = None,
    now=None,
    *,
    later: Callable[[], answerafter.Done] | None = None,
) -> Attempt | None:
    """Hand in: the answers of the hand-in form not stored yet (if still in time), the score
    the server marks, the points and the activity event, in one transaction.

    ``given_for(question)`` is what the form says for a drawn question ([] for nothing).
    The attempt, its questions and the form's answers are read and marked first, outside
    the transaction; inside it, the attempt's row is locked (on SQLite, the write turn and
    BEGIN IMMEDIATE serialise writers) and read again with its stored answers, so an answer
    posted on its own meanwhile is either stored before and counted here, or refused as
    handed in. Handing in twice changes nothing; a late form stores nothing but still hands
    in what was answered in time. Hand-ins that arrive while others are being written are
    written together, in one transaction (see ``_write_hand_ins``).

    ``later``: ``answerafter.later(request.META)``, for a request answered once its write is
    committed without a thread waiting. A hand-in in time is then handed to this process's
    writer thread and None returned: the request's answer waits for the commit (a late one,
    whose answer depends on what the write finds, is written before returning, as without)."""
    job = _prepare_hand_in(attempt_id, member, given_for, now)
    if isinstance(job, Attempt):
        return job
    if (
        later is not None
        and not connection.in_atomic_block
        and not closed(job.attempt.activity, job.now)
    ):
        done = later()
        try:
            _hand_ins_later.submit(job, lambda error: done(error or job.error))
        except BaseException as error:  # not handed over: the answer must not wait for it
            done(error)
            raise
        return None
    if connection.in_atomic_block:
        # Inside a caller's transaction: the database's own lock orders it, and a savepoint
        # undoes this hand-in alone if it fails.
        with transaction.atomic():
            _write_together([job])
    else:
        _hand_ins.submit(job)
        if job.error is not None:
            raise job.error
    if job.handed_in_before:
        return Attempt.objects.select_related("activity").get(pk=job.attempt.pk)
    attempt = job.attempt
    attempt.finished_at, attempt.score, attempt.correct_count = job.now, job.score, job.right
    return attempt


def _prepare_hand_in(
    attempt_id: int, member: Member, given_for: GivenFor | None, now
) -> _HandIn | Attempt:
    """A hand-in read and marked, ready to write; or the attempt, if it is handed in."""
    now = now or timezone.now()
    attempt = _ATTEMPTS.get(attempt_id)
    if attempt is None or attempt.member_id != member.pk:
        raise Refused("找不到这次答题，或它不属于你。", 404)
    if attempt.finished:
        return attempt
    offered: dict[int, tuple[list, tuple[bool, Decimal]]] = {}
    late = overdue(attempt, now)
    if given_for is not None and not late and attempt.activity.mode != Mode.CHALLENGE:
        offered = _marked_form(attempt, given_for, now)
    # The points rules are configuration: read now, not while holding the write lock.
    return _HandIn(attempt, member, offered, now, points.rules_for(_AWARDED_ACTIONS))


@dataclass
class _HandIn:
    """One hand-in, marked, waiting to be written; the write fills in its outcome."""

    attempt: Attempt
    member: Member
    offered: dict[int, tuple[list, tuple[bool, Decimal]]]
    now: object
    rules: dict
    handed_in_before: bool = False
    score: Decimal = Decimal(0)
    right: int = 0
    error: Exception | None = None


def _write_together(jobs: list[_HandIn]) -> None:
    """In the current transaction, for each hand-in: lock its attempt, store the form's answers
    not stored yet, finish it with the score of all its answers, award its points, record its
    event. In the same few statements however many there are: the attempts locked and read
    with their stored answers, then one INSERT of the answers, the attempts finished, one
    points award and one INSERT of the events. The
    outcome is that of writing them one after another in this order: of two hand-ins of one
    attempt, the second finds it handed in.

    Statements, not rows, are what a batch costs while it holds SQLite's write lock: each
    gives the GIL up and waits to take it back from the web threads, and the other process's
    writer waits meanwhile."""
    marks_of = _locked_marks([job.attempt.pk for job in jobs])
    answers, finished, awarded, happened = [], [], [], []
    for job in jobs:
        attempt, now = job.attempt, job.now
        marks = marks_of.pop(attempt.pk, None)  # a second hand-in of it finds it handed in
        if marks is None:
            job.handed_in_before = True
            continue
        job.handed_in_before = False
        for q, (row, mark) in job.offered.items():
            if q not in marks:
                marks[q] = mark
                answers.append(row)
        score = sum((p for _, p in marks.values()), Decimal(0))
        right = sum(1 for c, _ in marks.values() if c)
        # As the ORM stores a datetime.
        finished.append([connection.ops.adapt_datetimefield_value(now), score, right, attempt.pk])
        # In the same transaction: a hand-in is never stored without its points, nor the
        # points without it, and a retry after a failure does both.
        key = f"attempt:{attempt.pk}"
        awards = []
        if marks:  # handing in a blank sheet earns nothing
            awards.append(("quiz_finish", key))
        # The bonus once per activity and day, for the first attempt only: a daily set is the
        # same all day, so a second go with the answers just shown would earn it from memory.
        if attempt.number == 1 and attempt.drawn and right == len(attempt.drawn):
            awards.append(("quiz_full_score", f"activity:{attempt.activity_id}:{attempt.day}"))
        if awards:
            awarded.append((points.Wanted(job.member, awards, at=now), job.rules))
        happened.append(events.event("quiz", member=job.member, key=key, value=score, at=now))
        job.score, job.right = score, right
    if answers:
        _ANSWERS.execute_prepared(answers)
    if finished:
        with connection.cursor() as cursor:
            cursor.executemany(_FINISH_SQL, finished)
    # Each hand-in is awarded by the rules it read before the write turn: one award_batch for
    # each run of hand-ins that read the same (all of them, unless an editor changed a rule
    # between two), in the batch's order, so caps count as one after another.
    runs = [list(run) for _, run in itertools.groupby(awarded, key=lambda p: _rules_read(p[1]))]
    if len(runs) > 1:  # every member locked at once, in key order, as one run would
        points.lock(wanted.who for wanted, _ in awarded)
    for run in runs:
        points.award_batch([wanted for wanted, _ in run], rules=run[0][1])
    events.record_all(happened)


def _rules_read(rules: dict) -> tuple:
    return tuple(sorted((a, r.pk, r.points, r.daily_cap, r.name) for a, r in rules.items()))


def _write_hand_ins(jobs: list[_HandIn]) -> None:
    """The hand-ins that arrived while the last batch was written, in one transaction: one
    write turn, one commit, and the statements of one hand-in (``_write_together``).

    On PostgreSQL a batch locks all its attempts in key order, then all its members in key
    order (for the points cap): every batch takes attempt locks before member locks and each
    kind in key order, so two batches (or a batch and a live quiz's awards, also in key order)
    cannot deadlock.

    If the batch fails, each hand-in is written again alone, so that only the one at fault
    fails: its error is kept in ``job.error`` for its caller to raise."""
    ordered = sorted(jobs, key=lambda j: (j.member.pk, j.attempt.pk))
    try:
        with write_turn(), transaction.atomic():
            _write_together(ordered)
        return
    except Exception:
        if len(ordered) == 1:
            raise
        log.warning(
            "a batch of %d hand-ins failed; each is written alone", len(ordered), exc_info=True
        )
    for job in ordered:
        try:
            with write_turn(), transaction.atomic():
                _write_together([job])
        except Exception as error:  # raised by its caller, in its own request
            job.error = error


def _write_in_background(jobs: list[_HandIn]) -> None:
    with steadyconn.working(sender=BackgroundCommit):
        _write_hand_ins(jobs)


_AWARDED_ACTIONS = ("quiz_finish", "quiz_full_score")
_hand_ins: GroupCommit[_HandIn] = GroupCommit(_write_hand_ins)
# A batch is one transaction: as many hand-ins as a process has in flight, up to this many.
_hand_ins_later: BackgroundCommit[_HandIn] = BackgroundCommit(
    _write_in_background, name="quiz-writer", max_batch=64
)


_ATTEMPTS = OneRow(lambda: Attempt.objects.select_related("activity"))
# Answers are stored by one INSERT whose parameters are prepared before the write turn; the
# unique (attempt, question) makes a repeat do nothing rather than fail the hand-in.
_ANSWERS = FastInsert(Answer, conflict=("attempt", "question"))
_FINISH_SQL = (
    "UPDATE quiz_attempt SET finished_at = %s, score = %s, correct_count = %s "
    "WHERE id = %s AND finished_at IS NULL"
)


def _locked_marks(attempt_ids: list[int]) -> dict[int, dict[int, tuple[bool, Decimal]]]:
    """Lock these attempts' rows (PostgreSQL, in key order) and read the stored answers'
    marks of those not handed in, by attempt and question: two statements for any number."""
    ids = sorted(set(attempt_ids))
    sql = f"SELECT id, finished_at FROM quiz_attempt WHERE id IN ({placeholders(len(ids))})"  # noqa: S608
    if connection.features.has_select_for_update:
        sql += " ORDER BY id FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        open_ids = [pk for pk, finished_at in cursor.fetchall() if finished_at is None]
        marks: dict[int, dict[int, tuple[bool, Decimal]]] = {pk: {} for pk in open_ids}
        if not open_ids:
            return marks
        cursor.execute(
            "SELECT attempt_id, question_id, correct, points FROM quiz_answer "  # noqa: S608
            f"WHERE attempt_id IN ({placeholders(len(open_ids))})",
            open_ids,
        )
        # SQLite gives the decimal column back as a float or an int: one decimal place, as stored.
        for a, q, c, p in cursor.fetchall():
            marks[a][q] = (bool(c), Decimal(str(p)).quantize(TENTH))
        return marks


TENTH = Decimal("0.1")


def _marking_fields(ids: list[int]) -> list[Question]:
    """The drawn questions that still exist, with the fields that mark an answer (kind,
    answer, score, partial), in one plain SELECT."""
    if not ids:
        return []
    sql = (
        f"SELECT id, kind, answer, score, partial FROM {Question._meta.db_table} "  # noqa: S608
        f"WHERE id IN ({placeholders(len(ids))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        return [
            Question(pk=pk, kind=kind, answer=answer, score=score, partial=partial)
            for pk, kind, answer, score, partial in cursor.fetchall()
        ]


def _marked_form(
    attempt: Attempt, given_for: GivenFor, now
) -> dict[int, tuple[list, tuple[bool, Decimal]]]:
    """The form's non-blank answers to the drawn questions, marked: per question, the answer
    row's prepared parameters and its (correct, points)."""
    offered = {}
    for q in _marking_fields(attempt.question_ids()):
        values = [g[:200] for g in given_for(q)[:8]]
        if not any(v.strip() for v in values):
            continue
        marked = q.mark(values if q.kind == Kind.BLANK else "".join(values))
        row = _ANSWERS.prepare(
            {"attempt_id": attempt.pk, "question_id": q.pk, "given": values,
             "correct": marked.correct, "points": marked.points, "key": "", "answered_at": now},
            now,
        )  # fmt: skip
        offered[q.pk] = (row, (marked.correct, Decimal(marked.points).quantize(TENTH)))
    return offered


def finish(attempt: Attempt, member: Member, now=None) -> Attempt:
    """Hand in what was answered: the score is the sum of the answers the server marked,
    whatever the client says. Handing in twice changes nothing."""
    if attempt.member_id != member.pk:
        raise Refused("找不到这次答题，或它不属于你。", 404)
    done = hand_in(attempt.pk, member, now=now)
    attempt.finished_at, attempt.score, attempt.correct_count = (
        done.finished_at, done.score, done.correct_count,
    )  # fmt: skip
    return attempt


def attempts_left(activity: Activity, member: Member, day=None) -> int:
    day = day or timezone.localdate()
    mine = Attempt.objects.filter(activity=activity, member=member)
    if activity.mode == Mode.TOPIC:
        return 0 if mine.exists() else 1
    return max(0, activity.attempts_per_day - mine.filter(day=day).count())
