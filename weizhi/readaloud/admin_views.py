"""The office's side: listen to one reading and decide on it (through the shared queue's
service), and the per-branch check-in statistics with their xlsx export."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.safestring import mark_safe

from weizhi.moderation import services as moderation
from weizhi.moderation.scope import may_moderate, visible_items

from . import reference, scoring, stats, tasks
from .models import Clip, Reading

log = logging.getLogger(__name__)


def reading_view(request: HttpRequest, pk: int) -> HttpResponse:
    reading = (
        Reading.objects.select_related("item", "clip", "member", "member__branch")
        .filter(pk=pk, item__in=visible_items(request.user))
        .first()
    )
    if reading is None:
        if not request.user.has_perm("moderation.view_item"):
            raise PermissionDenied
        raise Http404
    if request.method == "POST":
        if not may_moderate(request.user):
            raise PermissionDenied
        action = request.POST.get("action", "")
        try:
            if action == "approve":
                moderation.approve(reading.item, request.user)
            elif action == "reject":
                moderation.reject(reading.item, request.user, request.POST.get("reason", ""))
            elif action in ("feature", "unfeature"):
                moderation.set_featured(reading.item, request.user, action == "feature")
            else:
                raise moderation.ModerationError("未知的操作。")
        except moderation.ModerationError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "已保存。")
        return redirect("readaloud_reading", pk=reading.pk)
    context = {
        "reading": reading,
        "marked": mark_safe(scoring.diff_html(reading.diff)),  # noqa: S308 — escaped there
        "may_decide": may_moderate(request.user),
    }
    return TemplateResponse(request, "readaloud/admin/reading.html", context)


def _day(text: str | None, default: date) -> date:
    try:
        return date.fromisoformat(text) if text else default
    except ValueError:
        return default


@permission_required("readaloud.view_readaloud_stats", raise_exception=True)
def stats_view(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    start = _day(request.GET.get("start"), today - timedelta(days=29))
    end = _day(request.GET.get("end"), today)
    if end < start:
        start, end = end, start
    if request.GET.get("export") == "xlsx":
        log.info("user %s exported read-aloud statistics", request.user.pk)
        body = stats.export(request.user, start, end)
        response = HttpResponse(
            body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        name = f"readaloud-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    context = {"start": start, "end": end, "rows": stats.branch_rows(request.user, start, end)}
    return TemplateResponse(request, "readaloud/admin/stats.html", context)


@permission_required("readaloud.change_clip", raise_exception=True)
def reference_view(request: HttpRequest, pk: int) -> HttpResponse:
    """生成示范朗读: only where a speech synthesiser is configured."""
    if not reference.available():
        raise Http404
    clip = get_object_or_404(Clip, pk=pk)
    if request.method == "POST":
        tasks.request_synthesis(clip)
        log.info("user %s asked for synthesised reference audio of clip %s", request.user.pk, pk)
        messages.success(request, "已开始生成示范朗读，稍候刷新本页查看。")
        return redirect("readaloud_reference", pk=clip.pk)
    return TemplateResponse(request, "readaloud/admin/reference.html", {"clip": clip})
