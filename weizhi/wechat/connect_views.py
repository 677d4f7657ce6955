"""公众号接入: everything an operator pastes into WeChat's console, where each setting comes
from, and a button that checks weizhi can reach WeChat's API with them."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from weizhi.wechat.api.client import default_client
from weizhi.wechat.api.errors import WeChatAPIError

from .account import current_account
from .models import InboundMessage, MessageMode

PERMISSION = "wechat.change_accountsettings"


def masked(secret: str) -> str:
    if not secret:
        return "未设置"
    return "•" * 8 + secret[-4:]


@permission_required(PERMISSION, raise_exception=True)
def connect(request: HttpRequest) -> HttpResponse:
    account = current_account()
    since = timezone.now() - timedelta(days=1)
    context = {
        "account": account,
        "callback_url": settings.SITE_URL + reverse("wechat-callback"),
        "token": account.token if account.simulated else masked(account.token),
        "aes_key": masked(account.aes_key),
        "previous_aes_key": masked(account.previous_aes_key),
        "secret_set": bool(account.app_secret),
        "mode": MessageMode(account.mode).label,
        "last_message": InboundMessage.objects.order_by("-received_at").first(),
        "messages_today": InboundMessage.objects.filter(received_at__gte=since).count(),
    }
    return render(request, "wechat/connect.html", context)


@require_POST
@permission_required(PERMISSION, raise_exception=True)
def check_api(request: HttpRequest) -> HttpResponse:
    client = default_client()
    try:
        client.tokens.access_token(client)
    except WeChatAPIError as exc:
        messages.error(request, f"连接失败：{exc.operator_message}")
    else:
        messages.success(request, "连接正常：已取得接口调用凭证。")
    return redirect("wechat_connect")
