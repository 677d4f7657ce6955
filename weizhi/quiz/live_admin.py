"""The host's pages in the admin: open a 现场竞答, and the big screen with its buttons.

Editors host for everyone; a 支部书记 for their own branches only, and sees only those
sessions. The screen page polls its state; the buttons post one step each."""

from __future__ import annotations

import logging

import segno
from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from weizhi.audience.models import Branch
from weizhi.audience.scope import visible_branches

from . import live
from .models import Activity, Board, LiveSession
from .services import Refused

log = logging.getLogger(__name__)


class OpenForm(forms.Form):
    activity = forms.ModelChoiceField(
        Activity.objects.filter(enabled=True), label="答题活动", empty_label=None
    )
    branch = forms.ModelChoiceField(Branch.objects.none(), label="组织", required=False)
    seconds = forms.IntegerField(label="每题限时（秒）", min_value=5, max_value=300, initial=20)
    board = forms.ChoiceField(
        label="排行榜",
        choices=[("", "按活动设置（公布前几名时为个人，否则为党组织）"), *Board.choices],
        required=False,
    )
    allow_guests = forms.BooleanField(label="允许未登录的访客填写姓名参加", required=False)

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = visible_branches(user).order_by("path")
        if not live.hosts_any(user):
            self.fields["branch"].required = True
            self.fields["branch"].empty_label = None
        else:
            self.fields["branch"].empty_label = "全体（不限组织）"


def _host_only(request: HttpRequest) -> None:
    if not live.may_host(request.user):
        raise PermissionDenied


def index(request: HttpRequest) -> HttpResponse:
    _host_only(request)
    form = OpenForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = live.open_session(
                request.user, data["activity"], branch=data["branch"],
                allow_guests=data["allow_guests"], board=data["board"] or None,
                seconds=data["seconds"],
            )  # fmt: skip
        except Refused as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("quiz_live_screen", pk=session.pk)
    sessions = live.sessions_for(request.user)[:30]
    return TemplateResponse(
        request, "quiz/admin/live_index.html", {"form": form, "sessions": sessions}
    )


def _controlled(request: HttpRequest, pk: int) -> LiveSession:
    session = get_object_or_404(LiveSession.objects.select_related("activity"), pk=pk)
    if not live.may_control(request.user, session):
        raise PermissionDenied
    return session


def screen(request: HttpRequest, pk: int) -> HttpResponse:
    session = _controlled(request, pk)
    url = request.build_absolute_uri(reverse("quiz:live_join", args=[session.code]))
    qr = segno.make(url, error="m").svg_inline(scale=8, title="扫码加入现场竞答")
    context = {
        "session": session,
        "url": url,
        "qr": mark_safe(qr),  # noqa: S308 (segno's own SVG)
        "state_url": reverse("quiz_live_state", args=[pk]),
        "step_url": reverse("quiz_live_step", args=[pk]),
    }
    return TemplateResponse(request, "quiz/admin/live_screen.html", context)


def state(request: HttpRequest, pk: int) -> JsonResponse:
    session = get_object_or_404(LiveSession.objects.only("pk", "branch_id"), pk=pk)
    if not live.may_control(request.user, session):
        return JsonResponse({"error": "你没有主持这场竞答的权限。"}, status=403)
    response = JsonResponse(live.screen_state(pk))
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def step(request: HttpRequest, pk: int) -> JsonResponse:
    session = get_object_or_404(LiveSession, pk=pk)
    if not live.may_control(request.user, session):
        return JsonResponse({"ok": False, "message": "你没有主持这场竞答的权限。"}, status=403)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = session.version
    if version != session.version:
        return JsonResponse({"ok": False, "message": "竞答状态已经变化，请稍候。"}, status=409)
    try:
        session = live.step(session, request.POST.get("action", ""), request.user)
    except Refused as exc:
        return JsonResponse({"ok": False, "message": exc.message}, status=exc.status)
    log.info("live quiz %s: %s by user %s", pk, session.phase, request.user.pk)
    return JsonResponse({"ok": True, "version": session.version, "phase": session.phase})
