"""One-time login links sent in the chat: how a follower of an account without OAuth (only
verified service accounts have it) proves who they are to the H5 pages.

The link carries the openid signed with the SECRET_KEY and a random nonce; opening it
records the nonce, so a forwarded or leaked link works once, and only for 10 minutes.
"""

import logging
import secrets

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from weizhi.audience.identity import login_follower
from weizhi.audience.models import Follower
from weizhi.audience.services import follower_for_sign_in
from weizhi.core.ratelimit import rate_limited
from weizhi.wechat.models import UsedLoginLink

log = logging.getLogger(__name__)

SALT = "weizhi.wechat.login-link"
MAX_AGE = 10 * 60


def login_link(openid: str, next_path: str = "/me/") -> str:
    token = signing.dumps({"o": openid, "n": secrets.token_hex(8), "next": next_path}, salt=SALT)
    return settings.SITE_URL + reverse("wechat-login", args=[token])


def safe_next(value: str | None) -> str:
    """A path on this site to go on to, or /me/."""
    if value and value.startswith("/") and url_has_allowed_host_and_scheme(value, None):
        return value
    return "/me/"


def welcome(request: HttpRequest, follower: Follower, next_path: str) -> HttpResponse:
    """Log the follower in; one not yet known as a member first proves who they are."""
    login_follower(request, follower)
    if follower.member_id is None:
        return HttpResponseRedirect(reverse("audience:bind"))
    return HttpResponseRedirect(safe_next(next_path))


def _failed(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    return render(request, "wechat/link_failed.html", {"message": message}, status=status)


@rate_limited("wechat-login", limit=20, per_seconds=60)
def open_login_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        return _failed(request, "链接已过期，请在公众号里再发送一次“绑定”。")
    except signing.BadSignature:
        log.warning("login link with a bad signature")
        return _failed(request, "链接无效，请在公众号里重新获取。")
    try:
        with transaction.atomic():
            UsedLoginLink.objects.create(nonce=data["n"])
    except IntegrityError:
        return _failed(request, "这个链接已经用过了，请在公众号里重新获取。")
    follower = follower_for_sign_in(data["o"])
    return welcome(request, follower, data.get("next"))
