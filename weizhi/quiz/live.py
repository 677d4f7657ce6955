"""现场竞答: a host shows one question at a time on a big screen; phones answer it.

The clock is the server's: a question's deadline is fixed when the host shows it, an answer
that arrives after it (plus GRACE_SECONDS for the request in flight) or after the host has
revealed the answer is refused, and a right answer scores more the sooner the server receives
it. One answer per player and question (a unique constraint), however the phone retries.

Phones and the screen poll. Every step the host takes bumps ``version``, and what does not
change between steps (the question, the distribution, the leaderboard) is cached per version,
so a poll is one small query for the version plus a cache read, in either serving mode.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Avg, Count, F
from django.utils import timezone

from weizhi.audience.models import Branch, Member
from weizhi.audience.scope import administered_branches, visible_branches
from weizhi.points import services as points
from weizhi.screen.services import screen

from . import scoring
from .models import Activity, Board, Kind, LiveAnswer, LivePlayer, LiveSession, Phase, Question
from .services import Refused, outside_audience

log = logging.getLogger(__name__)
GRACE_SECONDS = 1
BASE_POINTS, SPEED_POINTS = 500, 500
MAX_QUESTIONS = 30
CODE_LETTERS = "23456789"  # digits only: typed on a phone's number pad, no 0/O or 1/I
TOP = 10
GONE = "这道题已从题库删除，本题不计分。"
MEMBERS_ONLY = "本场竞答仅限党员登录后参加。"


# ── Who may host ──────────────────────────────────────────────────────────────────────────


def may_host(user) -> bool:
    return user.is_authenticated and (
        user.has_perm("quiz.change_activity") or bool(administered_branches(user))
    )


def hosts_any(user) -> bool:
    """Editors (and admins) host for everyone; a 支部书记 only for their own branches."""
    return user.has_perm("quiz.change_activity")


def may_control(user, session: LiveSession) -> bool:
    if not user.is_authenticated:
        return False
    if hosts_any(user):
        return True
    return session.branch_id is not None and (
        visible_branches(user).filter(pk=session.branch_id).exists()
    )


def sessions_for(user):
    sessions = LiveSession.objects.select_related("activity", "branch")
    if hosts_any(user):
        return sessions
    return sessions.filter(branch__in=visible_branches(user))


# ── Opening and stepping ──────────────────────────────────────────────────────────────────


def new_code() -> str:
    for _ in range(20):
        code = "".join(secrets.choice(CODE_LETTERS) for _ in range(6))
        if not LiveSession.objects.filter(code=code).exists():
            return code
    raise Refused("暂时无法生成加入码，请重试。", 503)


def draw(activity: Activity) -> list[dict]:
    """Questions one can answer by a tap (no 填空题), options shuffled once for everyone:
    the screen and every phone show the same letters."""
    rng = secrets.SystemRandom()
    pool = Question.objects.enabled().exclude(kind=Kind.BLANK)
    if activity.category:
        pool = pool.filter(category=activity.category)
    rows = list(pool.values_list("pk", "kind", "options"))
    chosen = rng.sample(rows, min(len(rows), activity.question_count, MAX_QUESTIONS))
    drawn = []
    for pk, kind, options in chosen:
        order = list(range(len(options)))
        if kind != Kind.JUDGE:
            rng.shuffle(order)
        drawn.append({"q": pk, "o": order})
    return drawn


def default_board(activity: Activity) -> str:
    """The board a session shows unless its host chooses: names only if the activity
    publishes a top N, organisations' averages otherwise."""
    return Board.PEOPLE if activity.show_top else Board.BRANCHES


def open_session(user, activity: Activity, *, branch: Branch | None = None, allow_guests=False,
                 board: str | None = None, seconds: int = 20) -> LiveSession:  # fmt: skip
    """``board`` left out follows the activity: names only if it publishes a top N."""
    if not may_host(user):
        raise Refused("你没有主持现场竞答的权限。", 403)
    outside = branch is None or not visible_branches(user).filter(pk=branch.pk).exists()
    if not hosts_any(user) and outside:
        raise Refused("支部书记只能为本组织主持现场竞答。", 403)
    if not 5 <= seconds <= 300:
        raise Refused("每题限时应在 5 到 300 秒之间。")
    if allow_guests and not activity.takes_guests:
        raise Refused(f"「{activity.title}」限定了参与范围，不能允许访客参加。")
    board = board or default_board(activity)
    drawn = draw(activity)
    if not drawn:
        raise Refused("题库里没有可用于现场竞答的选择题或判断题。", 409)
    session = LiveSession.objects.create(
        activity=activity, code=new_code(), host=user, branch=branch, allow_guests=allow_guests,
        board=board, seconds=seconds, drawn=drawn,
    )  # fmt: skip
    log.info("live quiz %s opened by user %s", session.pk, user.pk)
    return session


STEPS = {
    "start": (Phase.LOBBY,),
    "reveal": (Phase.QUESTION,),
    "next": (Phase.REVEAL,),
    "end": (Phase.LOBBY, Phase.QUESTION, Phase.REVEAL),
}


def step(session: LiveSession, action: str, user, now=None) -> LiveSession:
    """The host's buttons: start, reveal (公布答案), next, end. Only from the phase each
    belongs to, and only once: a double click (or two hosts) moves the session one step."""
    now = now or timezone.now()
    if not may_control(user, session):
        raise Refused("你没有主持这场竞答的权限。", 403)
    if action not in STEPS:
        raise Refused("未知的操作。")
    if session.phase not in STEPS[action]:
        raise Refused("竞答状态已经变化，请刷新页面。", 409)
    change: dict = {"version": F("version") + 1}
    last = session.index + 1 >= len(session.drawn)
    if action == "reveal":
        change.update(phase=Phase.REVEAL, deadline=min(session.deadline or now, now))
    elif action == "end" or (action == "next" and last):
        change.update(phase=Phase.ENDED, ended_at=now)
    else:
        change.update(
            phase=Phase.QUESTION, index=session.index + 1, shown_at=now,
            deadline=now + timedelta(seconds=session.seconds),
        )  # fmt: skip
    with transaction.atomic():
        moved = LiveSession.objects.filter(pk=session.pk, version=session.version).update(**change)
        if not moved:
            raise Refused("竞答状态已经变化，请刷新页面。", 409)
        if change.get("phase") == Phase.ENDED:
            _award(session)
    session.refresh_from_db()
    return session


def _award(session: LiveSession) -> None:
    """Every member who answered at least once gets the live_quiz points, once per session."""
    answered = LivePlayer.objects.filter(
        session=session, member__isnull=False, answers__isnull=False
    )
    # In key order: each award locks its member's row (PostgreSQL), and hand-ins written
    # together lock members in key order too, so the two cannot deadlock.
    for member in Member.objects.filter(pk__in=answered.values("member_id")).order_by("pk"):
        points.award(member, "live_quiz", f"live:{session.pk}")


# ── Joining and answering ─────────────────────────────────────────────────────────────────


def join_member(session: LiveSession, member: Member) -> LivePlayer:
    """The member's seat, the same one whichever device or how often they come back."""
    if session.phase == Phase.ENDED:
        raise Refused("本场竞答已经结束。", 409)
    found = LivePlayer.objects.filter(session=session, member=member).first()
    if found:
        return found
    reason = outside_audience(session.activity, member)
    if reason:
        raise Refused(reason, 403)
    # A session a 支部书记 opens for their organisation is that organisation's meeting.
    if session.branch is not None and not member.branch.is_within(session.branch):
        raise Refused(f"本场竞答仅限{session.branch.name}的党员参加。", 403)
    try:
        with transaction.atomic():
            return LivePlayer.objects.create(
                session=session, member=member, branch_id=member.branch_id, name=member.name,
                token=secrets.token_hex(16),
            )  # fmt: skip
    except IntegrityError:
        return LivePlayer.objects.get(session=session, member=member)


def join_guest(session: LiveSession, name: str) -> LivePlayer:
    if session.phase == Phase.ENDED:
        raise Refused("本场竞答已经结束。", 409)
    if not session.guests_welcome:
        raise Refused(MEMBERS_ONLY, 403)
    name = " ".join(name.split())
    if not name:
        raise Refused("请填写姓名。")
    if len(name) > 20:
        raise Refused("姓名最多 20 个字。")
    if screen(name).flagged:
        raise Refused("这个名字不能显示在大屏幕上，请换一个。")
    return LivePlayer.objects.create(session=session, name=name, token=secrets.token_hex(16))


def _letters(session: LiveSession, question: Question, given: str) -> str | None:
    """The shown letters (or 对/错) as the bank's answer, or None if they are not options."""
    if question.kind == Kind.JUDGE:
        return given if given in ("对", "错") else None
    order = session.drawn[session.index]["o"]
    letters = set(given.upper())
    if not letters or not letters <= set(scoring.LETTERS[: len(order)]):
        return None
    if question.kind == Kind.SINGLE and len(letters) != 1:
        return None
    return "".join(sorted(scoring.LETTERS[order[scoring.LETTERS.index(x)]] for x in letters))


def answer(player: LivePlayer, index: int, given: str, now=None) -> LiveAnswer:
    """Store one answer to the question on the screen; refused if late or a second one."""
    now = now or timezone.now()
    session = LiveSession.objects.get(pk=player.session_id)
    if player.member_id is None and not session.guests_welcome:
        raise Refused(MEMBERS_ONLY, 403)
    if session.phase != Phase.QUESTION or index != session.index:
        raise Refused("这道题已经结束，答案不计分。", 409)
    if now > session.deadline + timedelta(seconds=GRACE_SECONDS):
        raise Refused("已超过答题时间，答案不计分。", 409)
    question = Question.objects.filter(pk=session.drawn[index]["q"]).first()
    if question is None:
        raise Refused(GONE, 409)
    bank_letters = _letters(session, question, given.strip())
    if bank_letters is None:
        raise Refused("请选择题目中的选项。")
    correct = question.answer == bank_letters
    earned = 0
    if correct:
        left = max(0.0, (session.deadline - now).total_seconds())
        earned = BASE_POINTS + round(SPEED_POINTS * min(1.0, left / session.seconds))
    try:
        with transaction.atomic():
            # Within the write: a reveal that committed since the read above closes the
            # question, so the distribution and leaderboard cached at the reveal miss nothing.
            if not _still_open(session):
                raise Refused("这道题已经结束，答案不计分。", 409)
            saved = LiveAnswer.objects.create(
                session=session, player=player, index=index, given=given.strip().upper()[:16],
                correct=correct, points=earned, answered_at=now,
            )  # fmt: skip
            if earned:
                LivePlayer.objects.filter(pk=player.pk).update(score=F("score") + earned)
    except IntegrityError:
        raise Refused("这道题已经作答，不能再改。", 409) from None
    return saved


def _still_open(session: LiveSession) -> bool:
    """Whether the session is still at the version the answer was checked against. On
    PostgreSQL the row is share-locked until the answer commits, so a reveal (an UPDATE of the
    row) waits for the answers in flight instead of committing between this check and their
    INSERT; answers do not wait for each other. SQLite's one writer already gives that order."""
    if connection.vendor != "postgresql":
        return LiveSession.objects.filter(pk=session.pk, version=session.version).exists()
    table = connection.ops.quote_name(LiveSession._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {table} WHERE id = %s AND version = %s FOR SHARE",  # noqa: S608
            [session.pk, session.version],
        )
        return cursor.fetchone() is not None


# ── What the screen and the phones poll ───────────────────────────────────────────────────


def _question(session: LiveSession) -> dict | None:
    if session.index < 0 or session.index >= len(session.drawn):
        return None
    drawn = session.drawn[session.index]
    q = Question.objects.filter(pk=drawn["q"]).first()
    if q is None:  # deleted from the bank since the session opened: the host moves on
        return {
            "n": session.index + 1, "kind": "", "kind_label": "",
            "stem": GONE + "请主持人进入下一题。", "options": [], "multiple": False,
            "answer": "", "explanation": "", "missing": True,
        }  # fmt: skip
    if q.kind == Kind.JUDGE:
        options = [{"letter": "对", "text": "正确"}, {"letter": "错", "text": "错误"}]
    else:
        options = [
            {"letter": scoring.LETTERS[i], "text": q.options[o]}
            for i, o in enumerate(drawn["o"])
            if o < len(q.options)
        ]
    shown = q.answer
    if q.kind != Kind.JUDGE:
        shown = "".join(sorted(scoring.LETTERS[drawn["o"].index(scoring.LETTERS.index(x))]
                               for x in q.answer))  # fmt: skip
    return {
        "n": session.index + 1, "kind": q.kind, "kind_label": q.get_kind_display(),
        "stem": q.stem, "options": options, "multiple": q.kind == Kind.MULTIPLE,
        "answer": shown, "explanation": q.explanation,
    }  # fmt: skip


def board(session: LiveSession) -> list[dict]:
    if session.board == Board.BRANCHES:
        rows = (
            LivePlayer.objects.filter(session=session, branch__isnull=False)
            .values("branch__name")
            .annotate(avg=Avg("score"), people=Count("pk"))
            .order_by("-avg", "branch__name")[:TOP]
        )
        return [
            {"name": r["branch__name"], "score": round(r["avg"] or 0), "people": r["people"]}
            for r in rows
        ]
    rows = LivePlayer.objects.filter(session=session).order_by("-score", "joined_at", "pk")[:TOP]
    return [{"name": p.name, "score": p.score} for p in rows]


def _public(session: LiveSession) -> dict:
    """What everyone may see at this version; cached, since it changes only with a step."""
    key = f"quiz-live:{session.pk}:{session.version}"
    state = cache.get(key)
    if state is not None:
        return state
    question = _question(session) if session.phase in (Phase.QUESTION, Phase.REVEAL) else None
    state = {
        "version": session.version, "phase": session.phase, "index": session.index,
        "total": len(session.drawn), "seconds": session.seconds, "question": question,
        "board_kind": session.board,
    }  # fmt: skip
    if question and session.phase == Phase.QUESTION:
        question = dict(question, answer=None, explanation=None)
        state["question"] = question
    if session.phase in (Phase.REVEAL, Phase.ENDED):
        state["board"] = board(session)
    if session.phase == Phase.REVEAL:
        counts = dict(
            LiveAnswer.objects.filter(session=session, index=session.index)
            .values_list("given")
            .annotate(n=Count("pk"))
            .values_list("given", "n")
        )
        state["counts"] = counts
    cache.set(key, state, 3600)
    return state


def _remaining_ms(session: LiveSession, now) -> int:
    if session.phase != Phase.QUESTION or session.deadline is None:
        return 0
    return max(0, int((session.deadline - now).total_seconds() * 1000))


def screen_state(session_id: int, now=None) -> dict:
    """The big screen's poll: the cached state plus how many have joined and answered, counted
    now (an index lookup each), so the screen shows an answer within one poll."""
    now = now or timezone.now()
    session = LiveSession.objects.get(pk=session_id)
    state = dict(_public(session))
    state["remaining_ms"] = _remaining_ms(session, now)
    state["players"] = LivePlayer.objects.filter(session=session).count()
    if session.phase == Phase.QUESTION:
        state["answered"] = LiveAnswer.objects.filter(session=session, index=session.index).count()
    return state


def phone_state(token: str, now=None) -> dict | None:
    """A phone's poll: the cached state, the time left, and this player's own answer and score."""
    now = now or timezone.now()
    player = LivePlayer.objects.select_related("session").filter(token=token).first()
    if player is None:
        return None
    session = player.session
    state = dict(_public(session))
    state["remaining_ms"] = _remaining_ms(session, now)
    mine = LiveAnswer.objects.filter(player=player, index=session.index).first()
    hidden = mine.points if mine and session.phase == Phase.QUESTION else 0
    state["me"] = {
        # Until the answer is revealed, the score does not give away whether it was right.
        "name": player.name, "score": player.score - hidden,
        "given": mine.given if mine else None,
        "correct": mine.correct if mine and session.phase != Phase.QUESTION else None,
        "points": mine.points if mine and session.phase != Phase.QUESTION else None,
    }  # fmt: skip
    return state
