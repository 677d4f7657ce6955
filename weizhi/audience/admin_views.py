"""Admin pages that are not a model listing: the roster import (upload → checked by a task →
preview → confirm → written by a task, with a status page between), its template, and the
queue of binding requests."""

from __future__ import annotations

import logging
import time

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from weizhi.core.uploads import SizeLimitUploadHandler

from . import identity, roster_import, services
from .models import BindingRequest
from .roster_import import build_template
from .roster_plan import KEEP, MISSING_CHOICES
from .roster_tasks import check_roster_upload, import_roster_upload
from .scope import may_reset_passwords, visible, visible_members

SESSION_IMPORT = "audience.import_token"
# A check or import not finished after this long is taken as lost (a worker that died).
STALE_SECONDS = 15 * 60
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
log = logging.getLogger(__name__)


def _too_large_message() -> str:
    return f"文件超过 {settings.IMPORT_MAX_BYTES / 1024 / 1024:g} MB，请分批导入。"


class UploadForm(forms.Form):
    file = forms.FileField(label="名册文件（.xlsx）")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError("请上传 .xlsx 格式的文件（可先下载模板）。")
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(_too_large_message())
        return upload


def _page(request: HttpRequest, template: str, **context) -> TemplateResponse:
    return TemplateResponse(request, f"audience/admin/{template}", context)


def _limits() -> dict[str, object]:
    """For the upload form's hint."""
    return {
        "max_mb": f"{settings.IMPORT_MAX_BYTES / 1024 / 1024:g}",
        "max_rows": settings.IMPORT_MAX_ROWS,
    }


def _import_page(request: HttpRequest, form: UploadForm) -> TemplateResponse:
    return _page(request, "import.html", form=form, **_limits())


# CSRF is checked by the inner view, after our upload handler is in place: the middleware
# would otherwise read the whole body before any limit applies (Django's documented way).
@csrf_exempt
@permission_required("audience.import_member", raise_exception=True)
def import_roster_view(request: HttpRequest) -> HttpResponse:
    request.upload_handlers.insert(0, SizeLimitUploadHandler(request, settings.IMPORT_MAX_BYTES))
    return _import_roster(request)


@csrf_protect
def _import_roster(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and getattr(request, "upload_too_large", False):
        form = UploadForm(data={})
        form.errors["file"] = form.error_class([_too_large_message()])
        return _import_page(request, form)
    if request.method != "POST" or not form.is_valid():
        return _import_page(request, form)
    user_id = request.user.pk
    previous = request.session.get(SESSION_IMPORT, "")
    job = roster_import.job_state(user_id, previous)
    if job is None or job["step"] == "check" or job["done"]:  # an import under way goes on
        roster_import.discard_upload(user_id, previous)
    token = roster_import.store_upload(user_id, form.cleaned_data["file"].chunks())
    request.session[SESSION_IMPORT] = token
    roster_import.save_job_state(user_id, token, "check", done=False)
    check_roster_upload.enqueue(user_id, token)
    return redirect("audience_import_status")


@permission_required("audience.import_member", raise_exception=True)
def import_status_view(request: HttpRequest) -> HttpResponse:
    """Where a check or an import is: refreshes itself until the task is done."""
    token = request.session.get(SESSION_IMPORT, "")
    job = roster_import.job_state(request.user.pk, token)
    if job is None:
        messages.error(request, "没有进行中的导入，请重新上传。")
        return redirect("audience_import")
    if not job["done"] and time.time() - job["at"] > STALE_SECONDS:
        log.warning("roster %s for user %s never finished", job["step"], request.user.pk)
        job = {"step": job["step"], "done": True, "failed": True}
    if not job["done"]:
        return _page(request, "import_status.html", job=job, refresh_seconds=2)
    if job.get("failed") or (job["step"] == "import" and job.get("ok")):
        request.session.pop(SESSION_IMPORT, None)
        roster_import.discard_upload(request.user.pk, token)
    if job.get("failed"):
        messages.error(request, "处理文件时出错，没有写入任何数据。请稍后重试，或联系系统管理员。")
        return redirect("audience_import")
    if job["step"] == "import" and job.get("ok"):
        messages.success(request, _done_message(job))
        return redirect("audience_member:index")
    return _page(
        request,
        "preview.html",
        job=job,
        shown_errors=job["errors"],
        preview=job["preview"],
        rejected=job["step"] == "import",
        work=job.get("new_count", 0) + job.get("changed_count", 0),
        missing_choices=MISSING_CHOICES.items(),
        form=UploadForm(),
        **_limits(),
    )


def _done_message(job: dict) -> str:
    parts = []
    if job.get("created", job.get("count")):
        parts.append(f"新增 {job.get('created', job.get('count'))} 名党员")
    if job.get("updated"):
        parts.append(f"更新 {job['updated']} 名党员")
    if job.get("retired"):
        parts.append(f"{job['retired']} 名党员标记为不在册")
    return "已导入：" + "，".join(parts) + "。" if parts else "导入完成，名册没有变化。"


@require_POST
@permission_required("audience.import_member", raise_exception=True)
def confirm_import_view(request: HttpRequest) -> HttpResponse:
    token = request.session.get(SESSION_IMPORT, "")
    job = roster_import.job_state(request.user.pk, token)
    checked = job is not None and job["step"] == "check" and job.get("ok")
    if not checked or roster_import.claim_upload(request.user.pk, token) is None:
        messages.error(request, "没有待确认的导入文件，或文件已过期，请重新上传。")
        return redirect("audience_import")
    missing = request.POST.get("missing", KEEP)
    missing = missing if missing in MISSING_CHOICES else KEEP
    roster_import.save_job_state(request.user.pk, token, "import", done=False)
    import_roster_upload.enqueue(request.user.pk, token, missing, job.get("fingerprint"))
    return redirect("audience_import_status")


@permission_required("audience.import_member", raise_exception=True)
def template_view(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(build_template(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="roster-template.xlsx"'
    return response


@permission_required("audience.change_bindingrequest", raise_exception=True)
def binding_requests_view(request: HttpRequest) -> HttpResponse:
    requests = visible(request.user, BindingRequest)
    pending = requests.filter(state=BindingRequest.State.PENDING).select_related(
        "member__branch", "follower"
    )
    recent = (
        requests.exclude(state=BindingRequest.State.PENDING)
        .select_related("member", "follower", "decided_by")
        .order_by("-decided_at")[:20]
    )
    return _page(request, "binding_requests.html", pending=pending, recent=recent)


@require_POST
@permission_required("audience.change_bindingrequest", raise_exception=True)
def decide_binding_view(request: HttpRequest, pk: int) -> HttpResponse:
    binding = get_object_or_404(visible(request.user, BindingRequest), pk=pk)
    approve = request.POST.get("decision") == "approve"
    services.decide_binding(binding, approve=approve, by=request.user)
    verb = "已通过" if approve else "已驳回"
    messages.success(request, f"{verb} {binding.member.name} 的绑定申请。")
    return redirect("audience_binding_requests")


def member_password_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Reset a member's sign-in password: clear it, so that they prove who they are and choose
    a new one, or issue a one-time link (no phone on the roster, a changed number) that is
    shown once, to be passed on by the administrator. Both are audited."""
    if not may_reset_passwords(request.user):
        raise PermissionDenied
    member = get_object_or_404(visible_members(request.user), pk=pk)
    link = None
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "clear":
        services.clear_member_password(member, by=request.user)
        messages.success(request, f"已清除 {member.name} 的登录密码。")
        return redirect("audience_member_password", pk=member.pk)
    if action == "link":
        token = identity.login_link_token(member)
        link = settings.SITE_URL + reverse("audience:login_link", args=[token])
        services.audit(services.AuditEntry.Action.LOGIN_LINK, user=request.user, member=member)
    return _page(
        request, "member_password.html", member=member, link=link, days=identity.LOGIN_LINK_DAYS
    )
