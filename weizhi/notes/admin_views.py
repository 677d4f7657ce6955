"""The office's pages for study notes: every note with its photos (the queue shows text
only), 精选 through the moderation service, a selection of approved notes made into a draft
article, and per-branch statistics with their .xlsx export. Each list is scoped: moderators
see every note, a 支部书记 only those of their subtree."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from weizhi.content.models import ColumnPage
from weizhi.moderation import services as moderation
from weizhi.moderation.models import State
from weizhi.moderation.scope import may_moderate, visible_items

from . import services, stats
from .models import Note

log = logging.getLogger(__name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATES = {"pending": State.PENDING, "approved": State.APPROVED, "rejected": State.REJECTED}


def visible_notes(user):
    return Note.objects.filter(item__in=visible_items(user))


def may_draft(user) -> bool:
    return user.has_perm("notes.change_note") and user.has_perm("wagtailadmin.access_admin")


@permission_required("moderation.view_item", raise_exception=True)
def notes_view(request: HttpRequest) -> HttpResponse:
    notes = visible_notes(request.user).select_related("item", "member", "branch", "article")
    state = request.GET.get("state", "")
    if state in STATES:
        notes = notes.filter(item__state=STATES[state])
    if request.GET.get("featured"):
        notes = notes.filter(item__featured=True)
    notes = notes.order_by("-item__featured", "-created_at").prefetch_related("images")
    page = Paginator(notes, 30).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "state": state,
        "may_moderate": may_moderate(request.user),
        "may_draft": may_draft(request.user),
        "columns": ColumnPage.objects.live().order_by("path") if may_draft(request.user) else [],
    }
    return TemplateResponse(request, "notes/admin/notes.html", context)


@require_POST
@permission_required("moderation.moderate_item", raise_exception=True)
def feature_view(request: HttpRequest, pk: int) -> HttpResponse:
    note = visible_notes(request.user).select_related("item").filter(pk=pk).first()
    if note is None:
        raise PermissionDenied
    featured = request.POST.get("featured") == "1"
    if featured and note.item.state == State.REJECTED:
        messages.error(request, "已退回的笔记不能精选。")
    else:
        moderation.set_featured(note.item, request.user, featured)
        messages.success(request, "已精选。" if featured else "已取消精选。")
    return redirect(reverse("notes_admin") + f"#n{note.pk}")


@require_POST
@permission_required("notes.change_note", raise_exception=True)
def article_view(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("note") if i.isascii() and i.isdigit()][:200]
    notes = list(
        visible_notes(request.user)
        .filter(pk__in=ids)
        .select_related("item", "member", "branch")
        .prefetch_related("images")
        .order_by("-item__featured", "created_at")
    )
    column_id = request.POST.get("column", "")
    column_id = int(column_id) if column_id.isascii() and column_id.isdigit() else 0
    column = ColumnPage.objects.live().filter(pk=column_id).first()
    try:
        if column is None:
            raise services.NoteError("请选择文章所在的栏目。")
        if not column.permissions_for_user(request.user).can_add_subpage():
            raise services.NoteError("您没有在这个栏目下新建文章的权限。")
        page = services.make_article(
            notes, column, request.POST.get("title", ""), request.user,
            request.POST.get("introduction", "")[:500],
        )  # fmt: skip
    except services.NoteError as error:
        messages.error(request, str(error))
        return redirect("notes_admin")
    messages.success(request, f"已生成文章草稿“{page.title}”，进入栏目审核流程。")
    return redirect("wagtailadmin_pages:edit", page.pk)


@permission_required("notes.view_note", raise_exception=True)
def stats_view(request: HttpRequest) -> HttpResponse:
    if request.GET.get("export") == "xlsx":
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        log.info("user %s exported note statistics", request.user.pk)
        response = HttpResponse(stats.export(request.user), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="notes-stats-{stamp}.xlsx"'
        return response
    return TemplateResponse(
        request, "notes/admin/stats.html", {"branches": stats.branch_rows(request.user)}
    )
