"""The phone's side of 现场竞答 under /quiz/live/: enter the code (or scan the screen's QR
code), join as the signed-in member or, if the host allows, with a name, then answer.

A player's seat is kept in the browser session (a token); a member's seat is also found
again from the member, so a phone that drops, or a second phone, comes back to the same
score."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from weizhi.audience import identity
from weizhi.audience.views import login_url
from weizhi.core.clientaddress import client_address
from weizhi.core.ratelimit import hit

from . import live
from .models import LivePlayer, LiveSession, Phase
from .services import Refused

log = logging.getLogger(__name__)
SEATS = "quiz-live"
JOINS_PER_MINUTE = 20  # per member
# Guests are known only by their address, and a meeting hall's phones share one (the venue's
# Wi-Fi, a carrier's NAT): the limit per address must let a full hall in.
GUEST_JOINS_PER_MINUTE = 400
ANSWERS_PER_MINUTE = 60


def _seat(request: HttpRequest, session: LiveSession) -> LivePlayer | None:
    token = request.session.get(SEATS, {}).get(str(session.pk))
    player = LivePlayer.objects.filter(session=session, token=token).first() if token else None
    if player is None:
        member = identity.current_member(request)
        if member is not None:
            player = LivePlayer.objects.filter(session=session, member=member).first()
            if player is not None:
                _keep(request, player)
    return player


def _keep(request: HttpRequest, player: LivePlayer) -> None:
    seats = dict(request.session.get(SEATS, {}))
    seats[str(player.session_id)] = player.token
    request.session[SEATS] = seats


def enter(request: HttpRequest) -> HttpResponse:
    code = "".join(request.GET.get("code", "").split())
    if code:
        if LiveSession.objects.filter(code=code).exclude(phase=Phase.ENDED).exists():
            return redirect("quiz:live_join", code=code)
        return render(
            request,
            "quiz/live/enter.html",
            {"error": "没有找到这个加入码，请核对大屏幕上的数字。", "code": code[:8]},
            status=404,
        )
    return render(request, "quiz/live/enter.html", {})


def join(request: HttpRequest, code: str) -> HttpResponse:
    session = get_object_or_404(LiveSession.objects.select_related("activity"), code=code)
    if _seat(request, session) is not None:
        return redirect("quiz:live_play", code=code)
    member = identity.current_member(request)
    context = {"session": session, "member": member, "login": login_url(request.get_full_path())}
    if request.method != "POST":
        return render(request, "quiz/live/join.html", context)
    if member is not None:
        allowed = hit("quiz-live-join", f"m{member.pk}", JOINS_PER_MINUTE, 60)
    else:
        allowed = hit("quiz-live-join", client_address(request), GUEST_JOINS_PER_MINUTE, 60)
    if not allowed:
        return render(
            request,
            "quiz/live/join.html",
            {**context, "error": "操作太频繁，请稍后再试。"},
            status=429,
        )
    try:
        if member is not None:
            player = live.join_member(session, member)
        else:
            player = live.join_guest(session, request.POST.get("name", ""))
    except Refused as exc:
        context.update(error=exc.message, name=request.POST.get("name", "")[:20])
        return render(request, "quiz/live/join.html", context, status=exc.status)
    _keep(request, player)
    return redirect("quiz:live_play", code=code)


def play(request: HttpRequest, code: str) -> HttpResponse:
    session = get_object_or_404(LiveSession, code=code)
    player = _seat(request, session)
    if player is None:
        return redirect("quiz:live_join", code=code)
    context = {
        "session": session,
        "player": player,
        "state_url": reverse("quiz:live_state", args=[code]),
        "answer_url": reverse("quiz:live_answer", args=[code]),
    }
    return render(request, "quiz/live/play.html", context)


def state(request: HttpRequest, code: str) -> JsonResponse:
    session = LiveSession.objects.filter(code=code).only("pk").first()
    token = request.session.get(SEATS, {}).get(str(session.pk)) if session else None
    body = live.phone_state(token) if token else None
    if body is None:
        return JsonResponse({"error": "请先加入竞答。"}, status=403)
    response = JsonResponse(body)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def answer(request: HttpRequest, code: str) -> JsonResponse:
    session = get_object_or_404(LiveSession.objects.only("pk"), code=code)
    token = request.session.get(SEATS, {}).get(str(session.pk))
    player = LivePlayer.objects.filter(session=session, token=token).first() if token else None
    if player is None:
        return JsonResponse({"ok": False, "message": "请先加入竞答。"}, status=403)
    if not hit("quiz-live-answer", str(player.pk), ANSWERS_PER_MINUTE, 60):
        return JsonResponse({"ok": False, "message": "提交过于频繁，请稍后再试。"}, status=429)
    try:
        index = int(request.POST.get("index", ""))
    except ValueError:
        return JsonResponse({"ok": False, "message": "缺少题号。"}, status=400)
    try:
        live.answer(player, index, request.POST.get("given", "")[:16])
    except Refused as exc:
        return JsonResponse({"ok": False, "message": exc.message}, status=exc.status)
    return JsonResponse({"ok": True})
