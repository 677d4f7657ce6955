"""The member's quiz pages under /quiz/ (phone first; the audience app signs members in).

An answer is posted on its own as soon as it is chosen (quiz.js, with an idempotency key and
retries); the hand-in form carries every answer too, so the pages work without JavaScript
and an answer whose request was lost is saved at hand-in, if still in time."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from weizhi.audience.models import Member
from weizhi.audience.views import member_required
from weizhi.core import answerafter
from weizhi.core.ratelimit import hit

from . import services, stats
from .models import Activity, Attempt, Kind, Mode, Question
from .scoring import LETTERS

log = logging.getLogger(__name__)
ANSWERS_PER_MINUTE = 120
FORGED = ("score", "points", "correct", "max_score", "correct_count")


@member_required
def home(request: HttpRequest, member: Member) -> HttpResponse:
    now = timezone.now()
    activities = [
        (a, services.attempts_left(a, member))
        for a in Activity.objects.filter(enabled=True).prefetch_related("branches")
        if not services.may_take(a, member, now)
    ]
    recent = member.quiz_attempts.select_related("activity").filter(finished_at__isnull=False)
    return render(request, "quiz/home.html", {"activities": activities, "recent": recent[:10]})


@member_required
def activity(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    act = get_object_or_404(Activity, pk=pk, enabled=True)
    context = {
        "activity": act,
        "refusal": services.may_take(act, member),
        "left": services.attempts_left(act, member),
        "open": act.attempts.filter(member=member, finished_at__isnull=True).first(),
        "history": act.attempts.filter(member=member, finished_at__isnull=False)[:10],
        "top": stats.top(act, act.show_top) if act.show_top else [],
    }
    return render(request, "quiz/activity.html", context)


@require_POST
@member_required
def start(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    act = get_object_or_404(Activity, pk=pk)
    try:
        attempt = services.start(act, member)
    except services.Refused as exc:
        return render(
            request, "quiz/refused.html", {"message": exc.message, "activity": act},
            status=exc.status,
        )  # fmt: skip
    return redirect("quiz:attempt", pk=attempt.pk)


def _own(member: Member, pk: int) -> Attempt:
    attempt = Attempt.objects.select_related("activity").filter(pk=pk, member=member).first()
    if attempt is None:
        raise Http404
    return attempt


def _items(attempt: Attempt, shuffled: bool = True) -> list[dict]:
    """The drawn questions with their options as shown (shuffled), or, for the result page,
    in the bank's order, where the letters match the right answer's."""
    questions = Question.objects.in_bulk(attempt.question_ids())
    answers = {a.question_id: a for a in attempt.answers.all()}
    items = []
    for number, drawn in enumerate(attempt.drawn, start=1):
        q = questions.get(drawn["q"])
        if q is None:
            continue  # deleted from the bank since: never answered (answers protect theirs)
        order = drawn["o"] if shuffled else sorted(drawn["o"])
        shown = [
            {"letter": LETTERS[i], "value": LETTERS[o], "text": q.options[o]}
            for i, o in enumerate(order)
            if o < len(q.options)
        ]
        items.append(
            {"n": number, "q": q, "options": shown, "answer": answers.get(q.pk),
             "blanks": range(q.blanks)}
        )  # fmt: skip
    return items


@member_required
def attempt(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    att = _own(member, pk)
    now = timezone.now()
    timed_out = att.deadline is not None and now > att.deadline
    if not att.finished and (timed_out or services.overdue(att, now)):
        services.finish(att, member, now=now)
    if att.finished:
        return redirect("quiz:result", pk=att.pk)
    items = _items(att)
    if att.activity.mode == Mode.CHALLENGE:
        items = [i for i in items if i["answer"] is None][:1]
    context = {
        "attempt": att,
        "items": items,
        "remaining": int((att.deadline - now).total_seconds()) if att.deadline else None,
        "challenge": att.activity.mode == Mode.CHALLENGE,
        "kinds": Kind,
    }
    return render(request, "quiz/attempt.html", context)


def _given(request: HttpRequest, question: Question, prefix: str) -> list[str]:
    if question.kind == Kind.BLANK:
        return [request.POST.get(f"{prefix}_{i}", "") for i in range(question.blanks)]
    return request.POST.getlist(prefix)


@require_POST
@member_required
def answer(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    """One answer, as JSON: {"ok": true} or {"ok": false, "message": "…"}."""
    if not hit("quiz-answer", str(member.pk), ANSWERS_PER_MINUTE, 60):
        return JsonResponse({"ok": False, "message": "提交过于频繁，请稍后再试。"}, status=429)
    if any(name in request.POST for name in FORGED):
        log.warning("quiz answer with a forged field refused: member=%s attempt=%s", member.pk, pk)
        return JsonResponse(
            {"ok": False, "message": "分数由系统计算，不接受提交的分数。"}, status=400
        )
    try:
        question_id = int(request.POST.get("question", ""))
    except ValueError:
        return JsonResponse({"ok": False, "message": "缺少题目。"}, status=400)
    question = Question.objects.filter(pk=question_id).first()
    if question is None:
        return JsonResponse({"ok": False, "message": "这道题不在你本次抽到的题目中。"}, status=400)
    given = _given(request, question, "given")
    try:
        saved = services.answer(pk, member, question_id, given, request.POST.get("key", ""))
    except services.Refused as exc:
        return JsonResponse({"ok": False, "message": exc.message}, status=exc.status)
    body = {"ok": True, "repeated": saved.repeated}
    if _own(member, pk).activity.mode == Mode.CHALLENGE:
        body["correct"] = saved.answer.correct
    return JsonResponse(body)


@require_POST
@member_required
def finish(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    """Hand in; answers in the form not yet stored are stored first, if still in time."""
    if any(name in request.POST for name in FORGED):
        att = _own(member, pk)
        log.warning("quiz hand-in with a forged field refused: member=%s attempt=%s", member.pk, pk)
        return render(
            request, "quiz/refused.html",
            {"message": "分数由系统计算，不接受提交的分数。", "activity": att.activity},
            status=400,
        )  # fmt: skip
    now = timezone.now()
    try:
        att = services.hand_in(
            pk, member, lambda q: _given(request, q, f"q{q.pk}"), now=now,
            later=answerafter.later(request.META),
        )  # fmt: skip
    except services.Refused:
        raise Http404 from None  # not theirs: the same answer as an attempt that does not exist
    if att is None:  # in time, and being written: this answer is sent once it is committed
        return redirect("quiz:result", pk=pk)
    reason = services.closed(att.activity, now)
    if reason and att.finished_at == now:  # handed in by this request, after the activity
        message = f"{reason}，交卷时提交的答案不计分；此前已保存的答案照常计分。"
        return render(
            request, "quiz/refused.html", {"message": message, "activity": att.activity},
            status=409,
        )  # fmt: skip
    return redirect("quiz:result", pk=pk)


@member_required
def result(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    att = _own(member, pk)
    if not att.finished:
        return redirect("quiz:attempt", pk=att.pk)
    # The page hands in by itself at zero on the phone's count, a moment before the deadline.
    timed_out = att.deadline is not None and att.finished_at >= att.deadline - timedelta(seconds=1)
    context = {"attempt": att, "items": _items(att, shuffled=False), "timed_out": timed_out}
    return render(request, "quiz/result.html", context)


@member_required
def history(request: HttpRequest, member: Member) -> HttpResponse:
    attempts = member.quiz_attempts.select_related("activity").filter(finished_at__isnull=False)
    return render(request, "quiz/history.html", {"attempts": attempts[:100]})
