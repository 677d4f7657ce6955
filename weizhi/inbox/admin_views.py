"""The admin inbox: the list of items (scoped), one item's page with its actions, the
dashboard and the 留言管理员's notifications. Thin: forms validate, services change state."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from . import services, stats
from .admin_forms import AssignForm, NoteForm, ReplyForm, TagsForm
from .models import Category, Item, Notification, Status
from .scope import manages, may_use_inbox, visible_items

log = logging.getLogger(__name__)
FILTERS = {
    "open": lambda qs, now: qs.open(),
    "overdue": lambda qs, now: qs.overdue(now),
    "warn": lambda qs, now: qs.filter(warn=True).open(),
    "all": lambda qs, now: qs,
}


def _require_inbox(request: HttpRequest) -> None:
    if not may_use_inbox(request.user):
        raise PermissionDenied


def item_list(request: HttpRequest) -> HttpResponse:
    _require_inbox(request)
    now = timezone.now()
    show = request.GET.get("show", "open")
    items = FILTERS.get(show, FILTERS["open"])(visible_items(request.user), now)
    status = request.GET.get("status", "")
    if status in Status.values:
        items = items.filter(status=status)
    category = request.GET.get("category", "")
    if category in Category.values:
        items = items.filter(category=category)
    items = items.select_related("member", "follower", "department", "branch", "assignee")
    page = Paginator(items, 50).get_page(request.GET.get("p"))
    return TemplateResponse(
        request,
        "inbox/admin/list.html",
        {
            "page": page,
            "now": now,
            "show": show,
            "status": status,
            "category": category,
            "statuses": Status.choices,
            "categories": Category.choices,
            "manages": manages(request.user),
            "unread": Notification.objects.filter(user=request.user, read_at__isnull=True).count(),
        },
    )


def _item(request: HttpRequest, pk: int) -> Item:
    _require_inbox(request)
    return get_object_or_404(
        visible_items(request.user).select_related("member__branch", "follower"), pk=pk
    )


def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    if request.method == "POST":
        return _act(request, item)
    return _detail_page(request, item)


def _detail_page(request: HttpRequest, item: Item, **forms) -> TemplateResponse:
    may_manage = manages(request.user)
    context = {
        "item": item,
        "title": f"留言 #{item.pk}",
        "thread": item.messages.select_related("sent_by"),
        "notes": item.notes.select_related("author"),
        "history": item.transitions.select_related("by"),
        "manages": may_manage,
        "now": timezone.now(),
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "note_form": forms.get("note_form") or NoteForm(),
        "tags_form": forms.get("tags_form")
        or TagsForm(initial={"tags": "，".join(t.name for t in item.tags.all())}),
        "assign_form": (
            forms.get("assign_form")
            or AssignForm(
                initial={
                    "department": item.department_id,
                    "branch": item.branch_id,
                    "user": item.assignee_id,
                }
            )
        )
        if may_manage
        else None,
        "rate_url": request.build_absolute_uri(
            reverse("inbox:rate", args=[services.rating_token(item)])
        )
        if item.status == Status.RESOLVED and not item.satisfaction
        else "",
    }
    status = 400 if forms else 200
    return TemplateResponse(request, "inbox/admin/detail.html", context, status=status)


def _act(request: HttpRequest, item: Item) -> HttpResponse:
    action = request.POST.get("action", "")
    user = request.user
    try:
        if action == "reply":
            form = ReplyForm(request.POST)
            if not form.is_valid():
                return _detail_page(request, item, reply_form=form)
            services.reply(item, by=user, text=form.cleaned_data["text"])
            messages.success(request, "答复已发送。")
        elif action == "resolve":
            services.resolve(item, by=user, note=request.POST.get("note", "")[:200])
            messages.success(request, "已办结，留言人会收到评价链接。")
        elif action == "note":
            form = NoteForm(request.POST)
            if not form.is_valid():
                return _detail_page(request, item, note_form=form)
            services.add_note(item, by=user, text=form.cleaned_data["text"])
            messages.success(request, "备注已保存。")
        elif action == "tags":
            form = TagsForm(request.POST)
            if not form.is_valid():
                return _detail_page(request, item, tags_form=form)
            services.set_tags(item, form.names(), by=user)
            messages.success(request, "标签已保存。")
        elif action == "assign":
            if not manages(user):
                raise PermissionDenied
            form = AssignForm(request.POST)
            if not form.is_valid():
                return _detail_page(request, item, assign_form=form)
            data = form.cleaned_data
            services.assign(
                item,
                by=user,
                department=data["department"],
                branch=data["branch"],
                user=data["user"],
                due_at=data["due_at"],
                note=data["note"],
            )
            messages.success(request, "已派单。")
        else:
            messages.error(request, "未知的操作。")
    except services.InboxError as error:
        messages.error(request, str(error))
    return redirect("inbox_admin_item", pk=item.pk)


def dashboard(request: HttpRequest) -> HttpResponse:
    _require_inbox(request)
    numbers = stats.dashboard(visible_items(request.user))
    return TemplateResponse(
        request, "inbox/admin/dashboard.html", {"s": numbers, "manages": manages(request.user)}
    )


def notifications(request: HttpRequest) -> HttpResponse:
    _require_inbox(request)
    mine = Notification.objects.filter(user=request.user).select_related("item")[:100]
    return TemplateResponse(request, "inbox/admin/notifications.html", {"notifications": mine})


@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    _require_inbox(request)
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("inbox_admin_notifications")
