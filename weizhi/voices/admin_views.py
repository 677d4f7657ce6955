"""The office's hand on one comment: 作者回复, pin, delete with a reason. Approving and 精选
happen in the shared moderation queue."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from weizhi.moderation.scope import may_moderate, visible_items

from . import comments
from .models import Comment


def comment_view(request: HttpRequest, pk: int) -> HttpResponse:
    if not may_moderate(request.user):
        raise PermissionDenied
    comment = (
        Comment.objects.select_related("item", "replied_by")
        .filter(pk=pk, item__in=visible_items(request.user))
        .first()
    )
    if comment is None:
        raise Http404
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "reply":
                comments.reply(comment, request.user, request.POST.get("reply", ""))
            elif action in ("pin", "unpin"):
                comments.set_pinned(comment, action == "pin")
            elif action == "delete":
                comments.delete_by_office(comment, request.user, request.POST.get("reason", ""))
            else:
                raise comments.CommentError("未知的操作。")
        except comments.CommentError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "已保存。")
        return redirect(reverse("voices_comment", args=[comment.pk]))
    page = comment.page.specific
    return TemplateResponse(
        request, "voices/admin/comment.html", {"comment": comment, "article": page}
    )
