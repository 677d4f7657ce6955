"""人工回复: an officer answers a follower's message from 收到的消息.

The answer is a customer-service message, which WeChat accepts only within 48 hours of the
follower's last message or event; after that the page says so instead of offering a form
that could only fail. Every reply, delivered or not, is kept as a ManualReply row (who, what,
when, WeChat's answer): the audit trail.
"""

from datetime import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from weizhi.inbox.channels import SERVICE_WINDOW, WECHAT, OutgoingReply, within_service_window
from weizhi.wechat.models import InboundMessage, ManualReply

from .sender import MAX_TEXT, send_reply

PERMISSION = "wechat.reply_inboundmessage"


class ReplyForm(forms.Form):
    text = forms.CharField(
        label="回复内容",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "请填写回复内容。",
            "max_length": f"回复最多 {MAX_TEXT} 个字（%(show_value)d 个字太长了）。",
        },
        help_text=f"以客服消息发给粉丝，最多 {MAX_TEXT} 字。",
    )

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError("请填写回复内容。")
        return text


def may_reply(user) -> bool:
    return user.is_authenticated and user.has_perm(PERMISSION)


def last_message_at(openid: str) -> datetime | None:
    """The follower's last message or event: WeChat's 48 hours count from it."""
    rows = InboundMessage.objects.filter(openid=openid).order_by("-received_at")
    return rows.values_list("received_at", flat=True).first()


def reply_to_follower(message: InboundMessage, text: str, user) -> ManualReply:
    """Send the answer (or learn why it cannot go) and record it either way."""
    outgoing = OutgoingReply(
        item_id=0,
        message_id=message.pk,
        channel=WECHAT,
        text=text,
        openid=message.openid,
        member_id=None,
        last_inbound_at=last_message_at(message.openid),
    )
    delivery = send_reply(outgoing)
    return ManualReply.objects.create(
        message=message,
        openid=message.openid,
        text=text,
        user=user,
        delivered=delivery.accepted,
        detail=delivery.detail[:300],
    )


def reply_page(request: HttpRequest, pk: int) -> HttpResponse:
    if not may_reply(request.user):
        raise PermissionDenied
    message = get_object_or_404(InboundMessage, pk=pk)
    last = last_message_at(message.openid)
    open_window = within_service_window(last, timezone.now())
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and open_window and form.is_valid():
        sent = reply_to_follower(message, form.cleaned_data["text"], request.user)
        if sent.delivered:
            messages.success(request, "回复已通过微信客服消息发给粉丝。")
        else:
            messages.error(request, f"回复没有发出：{sent.detail}")
        return redirect("wechat_manual_reply", pk=message.pk)
    context = {
        "message": message,
        "form": form,
        "open_window": open_window,
        "last": last,
        "closes_at": last + SERVICE_WINDOW if last else None,
        "replies": ManualReply.objects.filter(openid=message.openid).select_related("user")[:20],
    }
    status = 200 if request.method == "GET" or open_window else 400
    return render(request, "wechat_inbox/manual_reply.html", context, status=status)
