"""Admin pages beside the bank's listing: import (upload → preview → confirm), the template,
and the export. The upload waits under var/ named after the user and a token kept in their
session, so one editor cannot confirm another's file; confirming checks it again."""

from __future__ import annotations

import logging
import re
import secrets
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from weizhi.core.uploads import SizeLimitUploadHandler

from . import bank, stats
from .models import Activity, Question

log = logging.getLogger(__name__)
SESSION_IMPORT = "quiz.import"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_ROWS = 300
TOKEN_RE = re.compile(r"^[0-9a-f]{32}\.(xlsx|csv)$")


class UploadForm(forms.Form):
    file = forms.FileField(label="题库文件（.xlsx 或 .csv）")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError("请上传 .xlsx 或 .csv 文件（可先下载模板）。")
        return upload


def _folder() -> Path:
    folder = Path(settings.VAR_DIR) / "quiz-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _stored(request: HttpRequest) -> Path | None:
    name = request.session.get(SESSION_IMPORT, "")
    if not TOKEN_RE.match(name):
        return None
    path = _folder() / f"{request.user.pk}-{name}"
    return path if path.is_file() else None


def _page(request: HttpRequest, **context) -> TemplateResponse:
    context.setdefault("form", UploadForm())
    context["max_mb"] = f"{settings.IMPORT_MAX_BYTES / 1024 / 1024:g}"
    context["max_rows"] = settings.IMPORT_MAX_ROWS
    return TemplateResponse(request, "quiz/admin/import.html", context)


@csrf_exempt
@permission_required("quiz.import_question", raise_exception=True)
def import_view(request: HttpRequest) -> HttpResponse:
    request.upload_handlers.insert(0, SizeLimitUploadHandler(request, settings.IMPORT_MAX_BYTES))
    return _import(request)


@csrf_protect
def _import(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request)
    if getattr(request, "upload_too_large", False):
        mb = settings.IMPORT_MAX_BYTES / 1024 / 1024
        return _page(request, error=f"文件超过 {mb:g} MB，请分批导入。")
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form=form)
    upload = form.cleaned_data["file"]
    name = secrets.token_hex(16) + (".csv" if upload.name.lower().endswith(".csv") else ".xlsx")
    old = _stored(request)
    if old:
        old.unlink(missing_ok=True)
    path = _folder() / f"{request.user.pk}-{name}"
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    try:
        checked = bank.check(path)
    except bank.FileRefused as exc:
        path.unlink(missing_ok=True)
        log.info("question import refused for user %s: %s", request.user.pk, exc)
        return _page(request, error=str(exc))
    request.session[SESSION_IMPORT] = name
    return _page(request, checked=checked, shown=_shown(checked), filename=upload.name)


def _shown(checked: bank.Checked) -> list[bank.Row]:
    return [r for r in checked.rows if not r.ok][:SHOWN_ROWS]


@require_POST
@permission_required("quiz.import_question", raise_exception=True)
def confirm_view(request: HttpRequest) -> HttpResponse:
    path = _stored(request)
    if path is None:
        messages.error(request, "没有待确认的导入文件，或文件已过期，请重新上传。")
        return redirect("quiz_import")
    try:
        checked = bank.check(path)  # the bank may have changed since the preview
    except bank.FileRefused as exc:
        return _page(request, error=str(exc))
    if checked.refused:
        return _page(request, checked=checked, shown=_shown(checked), rejected=True)
    count = bank.apply(checked, source=f"导入：{timezone.localdate():%Y-%m-%d}")
    path.unlink(missing_ok=True)
    request.session.pop(SESSION_IMPORT, None)
    log.info("user %s imported %s questions", request.user.pk, count)
    skipped = len(checked.duplicates)
    messages.success(
        request, f"已导入 {count} 题" + (f"，跳过重复 {skipped} 题。" if skipped else "。")
    )
    return redirect("quiz_question:index")


def _xlsx(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@permission_required("quiz.import_question", raise_exception=True)
def template_view(request: HttpRequest) -> HttpResponse:
    return _xlsx(bank.template(), "question-template.xlsx")


@permission_required("quiz.view_question", raise_exception=True)
def export_view(request: HttpRequest) -> HttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _xlsx(bank.export(Question.objects.order_by("pk").iterator()), f"questions-{stamp}.xlsx")


@permission_required("quiz.view_attempt", raise_exception=True)
def stats_view(request: HttpRequest) -> HttpResponse:
    """Per-branch participation and per-question correct rate, for one activity or all."""
    activities = Activity.objects.order_by("-pk")
    chosen = activities.filter(pk=request.GET.get("activity") or 0).first()
    if request.GET.get("export") == "xlsx":
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        log.info("user %s exported quiz statistics", request.user.pk)
        return _xlsx(stats.export(request.user, chosen), f"quiz-stats-{stamp}.xlsx")
    context = {
        "activities": activities,
        "chosen": chosen,
        "branches": stats.branch_rows(request.user, chosen),
        "questions": stats.question_rows(request.user, chosen),
    }
    return TemplateResponse(request, "quiz/admin/stats.html", context)
