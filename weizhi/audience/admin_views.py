"""Admin pages that are not a model listing: the roster import (upload → preview → confirm),
its template, and the queue of binding requests."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from . import identity, services
from .models import BindingRequest
from .roster import validate
from .roster_import import (
    MAX_UPLOAD_BYTES,
    RosterRejected,
    build_template,
    discard_upload,
    import_roster,
    store_upload,
    upload_path,
)
from .scope import visible, visible_members

SESSION_IMPORT = "audience.import_token"
PREVIEW_ROWS = 20
SHOWN_ERRORS = 300
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadForm(forms.Form):
    file = forms.FileField(label="名册文件（.xlsx）")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError("请上传 .xlsx 格式的文件（可先下载模板）。")
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("文件超过 5 MB，请分批导入。")
        return upload


def _page(request: HttpRequest, template: str, **context) -> TemplateResponse:
    return TemplateResponse(request, f"audience/admin/{template}", context)


@permission_required("audience.import_member", raise_exception=True)
def import_roster_view(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return _page(request, "import.html", form=form)
    discard_upload(request.user, request.session.get(SESSION_IMPORT, ""))
    token = store_upload(request.user, form.cleaned_data["file"].chunks())
    request.session[SESSION_IMPORT] = token
    parsed = validate(upload_path(request.user, token))
    if not parsed.ok:
        discard_upload(request.user, token)
        request.session.pop(SESSION_IMPORT, None)
    return _page(
        request,
        "preview.html",
        parsed=parsed,
        shown_errors=parsed.errors[:SHOWN_ERRORS],
        preview=parsed.rows[:PREVIEW_ROWS],
        form=UploadForm(),
    )


@require_POST
@permission_required("audience.import_member", raise_exception=True)
def confirm_import_view(request: HttpRequest) -> HttpResponse:
    token = request.session.pop(SESSION_IMPORT, "")
    path = upload_path(request.user, token)
    if path is None:
        messages.error(request, "没有待确认的导入文件，或文件已过期，请重新上传。")
        return redirect("audience_import")
    try:
        count = import_roster(path, by=request.user)
    except RosterRejected as rejected:
        return _page(
            request,
            "preview.html",
            parsed=None,
            shown_errors=rejected.errors[:SHOWN_ERRORS],
            rejected=True,
            form=UploadForm(),
        )
    finally:
        discard_upload(request.user, token)
    messages.success(request, f"已导入 {count} 名党员。")
    return redirect("audience_member:index")


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


@permission_required("audience.change_member", raise_exception=True)
def login_link_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue a one-time sign-in link for a member who cannot prove who they are (no phone on
    the roster, a changed number); it is shown once, to be passed on by the administrator."""
    member = get_object_or_404(visible_members(request.user), pk=pk)
    link = None
    if request.method == "POST":
        token = identity.login_link_token(member)
        link = settings.SITE_URL + reverse("audience:login_link", args=[token])
        services.audit(services.AuditEntry.Action.LOGIN_LINK, user=request.user, member=member)
    return _page(
        request, "login_link.html", member=member, link=link, days=identity.LOGIN_LINK_DAYS
    )
