"""The member pages of the inbox: 给党委办留言, 我的留言, and the satisfaction link."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from weizhi.audience.models import Member
from weizhi.audience.views import member_required
from weizhi.core.clientaddress import client_address
from weizhi.core.ratelimit import hit

from . import channels, services
from .forms import MessageForm, RatingForm
from .models import Item, Message, Satisfaction, Status

log = logging.getLogger(__name__)
# A person writes a few messages an hour at most; more is a stuck button or a script.
WRITE_LIMIT, WRITE_WINDOW = 10, 60 * 60
RATE_LIMIT, RATE_WINDOW = 30, 60 * 60
TOO_MANY = "留言太频繁了，请稍后再试。"


@member_required
def my_messages(request: HttpRequest, member: Member) -> HttpResponse:
    outgoing = Message.objects.select_related("sent_by")
    items = (
        Item.objects.of_person(member, getattr(member, "follower", None))
        .prefetch_related(Prefetch("messages", queryset=outgoing))
        .order_by("-last_message_at")[:50]
    )
    rows = [
        {
            "item": item,
            "rate_token": services.rating_token(item)
            if item.status == Status.RESOLVED and not item.satisfaction
            else "",
        }
        for item in items
    ]
    return render(
        request, "inbox/my_messages.html", {"rows": rows, "choices": Satisfaction.choices}
    )


@member_required
@require_http_methods(["GET", "POST"])
def write(request: HttpRequest, member: Member) -> HttpResponse:
    form = MessageForm(request.POST or None)
    if request.method == "POST":
        if not hit("inbox-write", str(member.pk), WRITE_LIMIT, WRITE_WINDOW):
            log.warning("inbox: member %s refused, too many messages", member.pk)
            form.refuse(TOO_MANY)
            return render(request, "inbox/write.html", {"form": form}, status=429)
        if form.is_valid():
            services.receive(member, channel=channels.WEB, text=form.cleaned_data["text"])
            messages.success(request, "留言已收到，答复会显示在“我的留言”。")
            return redirect("inbox:mine")
    return render(request, "inbox/write.html", {"form": form})


@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, token: str) -> HttpResponse:
    """The short signed link sent after 办结: no sign-in, one rating per resolution."""
    item = services.item_for_rating(token)
    if item is None:
        return render(request, "inbox/rate_invalid.html", status=404)
    if item.satisfaction:
        return render(request, "inbox/rate_done.html", {"item": item})
    form = RatingForm(request.POST or None)
    if request.method == "POST":
        if not hit("inbox-rate", client_address(request), RATE_LIMIT, RATE_WINDOW):
            form.add_error(None, TOO_MANY)
            return render(request, "inbox/rate.html", {"form": form, "item": item}, status=429)
        if form.is_valid():
            try:
                item = services.rate(item, form.cleaned_data["value"])
            except services.InboxError as error:
                form.add_error(None, str(error))
            else:
                return render(request, "inbox/rate_done.html", {"item": item, "just_now": True})
    return render(request, "inbox/rate.html", {"form": form, "item": item})
