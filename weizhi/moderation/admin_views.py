"""The queue in the admin: one list of every member contribution with filters and bulk
decisions, and one page per item with its text, the screen's marks and its history."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from . import services
from .models import Kind, Source, State
from .scope import may_moderate, visible_items

PER_PAGE = 50
FILTERS = {
    "state": State.choices,
    "kind": Kind.choices,
    "source": Source.choices,
}


def _filtered(request: HttpRequest):
    items = visible_items(request.user).select_related("member", "follower", "moderated_by")
    chosen = {}
    for name, choices in FILTERS.items():
        value = request.GET.get(name, "pending" if name == "state" else "")
        if value in dict(choices):
            items = items.filter(**{name: value})
            chosen[name] = value
        else:
            chosen[name] = ""
    if request.GET.get("flagged") == "1":
        items = items.filter(flagged=True)
    if request.GET.get("featured") == "1":
        items = items.filter(featured=True)
    query = request.GET.get("q", "").strip()[:50]
    if query:
        items = items.filter(Q(text__icontains=query) | Q(author_name__icontains=query))
    return items, chosen, query


def queue_view(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("moderation.view_item"):
        raise PermissionDenied
    items, chosen, query = _filtered(request)
    page = Paginator(items, PER_PAGE).get_page(request.GET.get("p"))
    filters = [
        (name, label, choices, chosen[name])
        for name, label, choices in (
            ("state", "状态", State.choices),
            ("kind", "类型", Kind.choices),
            ("source", "来源", Source.choices),
        )
    ]
    return TemplateResponse(
        request,
        "moderation/queue.html",
        {
            "page": page,
            "filters": filters,
            "query": query,
            "flagged": request.GET.get("flagged") == "1",
            "featured": request.GET.get("featured") == "1",
            "may_moderate": may_moderate(request.user),
            "actions": services.BULK_ACTIONS,
            "back": request.get_full_path(),
        },
    )


def _safe_back(request: HttpRequest) -> str:
    back = request.POST.get("back", "")
    return back if back.startswith(reverse("moderation_queue")) else reverse("moderation_queue")


@require_POST
def bulk_view(request: HttpRequest) -> HttpResponse:
    if not may_moderate(request.user):
        raise PermissionDenied
    ids = [int(i) for i in request.POST.getlist("item") if i.isdigit()][:PER_PAGE]
    action = request.POST.get("action", "")
    if not ids or action not in services.BULK_ACTIONS:
        messages.error(request, "请先勾选内容并选择操作。")
        return redirect(_safe_back(request))
    items = visible_items(request.user).filter(pk__in=ids)
    try:
        done = services.bulk(items, action, request.user, request.POST.get("reason", ""))
    except services.ModerationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"已{services.BULK_ACTIONS[action]} {done} 条。")
    return redirect(_safe_back(request))


def item_view(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm("moderation.view_item"):
        raise PermissionDenied
    item = visible_items(request.user).select_related("member", "moderated_by").filter(pk=pk)
    item = item.first()
    if item is None:
        raise Http404
    if request.method == "POST":
        if not may_moderate(request.user):
            raise PermissionDenied
        action = request.POST.get("action", "")
        reason = request.POST.get("reason", "")
        try:
            if action == "approve":
                services.approve(item, request.user, reason)
            elif action == "reject":
                services.reject(item, request.user, reason)
            elif action in ("feature", "unfeature"):
                services.set_featured(item, request.user, action == "feature")
            else:
                raise services.ModerationError("未知的操作。")
        except services.ModerationError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "已保存审核结果。")
        return redirect(reverse("moderation_item", args=[item.pk]))
    return TemplateResponse(
        request,
        "moderation/item.html",
        {
            "item": item,
            "events": item.events.select_related("user", "member"),
            "manage_url": services.admin_link(item),
            "may_moderate": may_moderate(request.user),
        },
    )
