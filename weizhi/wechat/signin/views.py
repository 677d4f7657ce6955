"""WeChat web OAuth (snsapi_base) for the H5 pages, and the JS-SDK config they may ask for.

A page that wants to know who is reading sends the browser to start/?next=/me/; a member page
that needs a login goes the same way by itself when opened inside WeChat (sign_in_route, where
the password form would otherwise be). Inside WeChat,
on an account with OAuth (WECHAT_OAUTH, or the simulated account), that is WeChat's authorize
page, which comes back to callback/ with a one-time code; everywhere else it is a page saying
to send "绑定" in the chat for a one-time link (links.py), which works on every account.

The state sent to WeChat is CSRF protection for the round trip: a random nonce kept in this
browser's session plus an HMAC over it, the time and the next path, so a callback carrying
someone else's code (login CSRF) or an old or altered state is refused.

The simulated account's authorize page lets its user choose whom to be, so it is a developer
tool for staff only: it sends codes back to our own callback only, for simulated followers
only, and records each code in the staff member's session for its state; the callback of the
simulated account accepts no other code. A stranger never gets a session for a chosen openid.
"""

import hashlib
import logging
import re
import secrets
import time
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.http import require_GET

from weizhi.audience.models import Follower
from weizhi.audience.services import follower_for_sign_in
from weizhi.core.clientaddress import client_address
from weizhi.core.ratelimit import hit
from weizhi.wechat.account import Account, current_account
from weizhi.wechat.api.errors import WeChatAPIError
from weizhi.wechat.api.jssdk import JS_API_LIST, js_sdk_config
from weizhi.wechat.api.oauth import authorize_base, authorize_url, openid_for_code
from weizhi.wechat.fake.authorize import authorize as fake_authorize
from weizhi.wechat.fake.authorize import chosen_openid
from weizhi.wechat.fake.urls import fake_for
from weizhi.wechat.simulator.views import PERMISSION as SIMULATOR_PERMISSION

from .links import safe_next, welcome

log = logging.getLogger(__name__)

SESSION_KEY = "wechat.oauth_pending"
# state -> digest of the code the simulated authorize page issued for it, in this session.
FAKE_CODES_KEY = "wechat.fake_oauth_codes"
OPENID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
STATE_MAX_AGE = 10 * 60
MAX_PENDING = 5  # a few tabs may start a login at once
CODE_ERRORS = {
    40029: "这个授权码无效或已过期（微信的授权码 5 分钟内有效），请返回重新打开页面。",
    40163: "这个授权码已经用过了（每个授权码只能用一次），请返回重新打开页面。",
}


def in_wechat(request: HttpRequest) -> bool:
    return "MicroMessenger" in request.headers.get("User-Agent", "")


def may_play_wechat(user) -> bool:
    """Who may use the simulated account's authorize page: staff who may use the 公众号模拟器,
    which already speaks (and sends "绑定") for the same simulated followers."""
    return user.has_perm("wagtailadmin.access_admin") and user.has_perm(SIMULATOR_PERMISSION)


def oauth_enabled(request: HttpRequest, account: Account) -> bool:
    # The simulated account's fake implements OAuth, so that its staff can try it.
    if account.simulated:
        return may_play_wechat(request.user)
    return settings.WECHAT_OAUTH


def _mac(issued: str, nonce: str, next_path: str) -> str:
    return salted_hmac("weizhi.wechat.oauth-state", f"{issued}:{nonce}:{next_path}").hexdigest()


def _new_state(request: HttpRequest, next_path: str) -> str:
    """Letters and digits only, under 128 bytes, as WeChat's documentation asks of state."""
    issued, nonce = f"{int(time.time()):x}", secrets.token_hex(8)
    pending = dict(list(request.session.get(SESSION_KEY, {}).items())[-(MAX_PENDING - 1) :])
    pending[nonce] = next_path
    request.session[SESSION_KEY] = pending
    return f"{issued}{nonce}{_mac(issued, nonce, next_path)[:32]}"


def _next_for_state(request: HttpRequest, state: str) -> str | None:
    """The next path the state was made for, once, in the session that made it; else None."""
    issued, nonce, mac = state[:-48], state[-48:-32], state[-32:]
    pending = request.session.get(SESSION_KEY, {})
    next_path = pending.get(nonce) if len(state) > 48 else None
    if next_path is None:
        return None
    try:
        age = time.time() - int(issued, 16)
    except ValueError:
        return None
    if not constant_time_compare(mac, _mac(issued, nonce, next_path)[:32]):
        return None
    del pending[nonce]
    request.session[SESSION_KEY] = pending
    return next_path if 0 <= age <= STATE_MAX_AGE else None


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    next_path = safe_next(request.GET.get("next"))
    account = current_account()
    # On the simulated account a desktop browser may ask to be treated as WeChat's.
    inside = in_wechat(request) or (account.simulated and request.GET.get("as") == "wechat")
    if not (inside and oauth_enabled(request, account)):
        fallback = reverse("wechat-oauth-in-chat")
        return HttpResponseRedirect(f"{fallback}?{urlencode({'next': next_path})}")
    return _to_authorize(request, account, next_path)


def _to_authorize(request: HttpRequest, account: Account, next_path: str) -> HttpResponse:
    redirect_uri = settings.SITE_URL + reverse("wechat-oauth-callback")
    state = _new_state(request, next_path)
    return HttpResponseRedirect(
        authorize_url(account.app_id, redirect_uri, state, base=authorize_base(account))
    )


def sign_in_route(request: HttpRequest, next_path: str) -> HttpResponse | None:
    """The member pages' way in (audience.identity.add_sign_in_route): a page that needs a
    login, opened inside WeChat on an account with OAuth, goes straight to WeChat's authorize
    page instead of the password form. Custom-menu links to /me/… arrive this way too."""
    account = current_account()
    if not (in_wechat(request) and oauth_enabled(request, account)):
        return None
    return _to_authorize(request, account, safe_next(next_path))


def _failed(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    return render(request, "wechat/oauth_failed.html", {"message": message}, status=status)


@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    if not hit("wechat-oauth", client_address(request), limit=20, per_seconds=60):
        return _failed(request, "操作太频繁，请稍后再试。", status=429)
    code, state = request.GET.get("code", ""), request.GET.get("state", "")
    next_path = _next_for_state(request, state)
    if next_path is None:
        log.warning("oauth callback with an unknown, used or altered state")
        return _failed(request, "登录请求已失效或不是从本站发起的，请返回重新打开页面。")
    if not code:
        return _failed(request, "微信没有返回授权码，请返回重新打开页面。")
    account = current_account()
    if account.simulated and not _issued_here(request, state, code):
        log.warning("oauth callback with a code the simulated authorize page did not issue here")
        return _failed(request, "这个授权码不是模拟授权页为本浏览器签发的，请返回重新打开页面。")
    try:
        openid = openid_for_code(code)
    except WeChatAPIError as error:
        log.warning("oauth code exchange failed: %s", error)
        if error.errcode in CODE_ERRORS:
            return _failed(request, CODE_ERRORS[error.errcode])
        return _failed(
            request,
            "暂时无法通过微信确认你的身份，请稍后再试，或在公众号里发送“绑定”获取登录链接。",
            status=503,
        )
    # Someone who opens a page without following the account is not a subscriber (yet).
    follower = follower_for_sign_in(openid, subscribed=False, simulated=account.simulated)
    return welcome(request, follower, next_path)


@require_GET
def in_chat(request: HttpRequest) -> HttpResponse:
    """The fallback: how to sign in where WeChat's web OAuth is not available."""
    account = current_account()
    next_path = safe_next(request.GET.get("next"))
    context = {
        "in_wechat": in_wechat(request),
        "simulated": account.simulated,
        "may_simulate": account.simulated and may_play_wechat(request.user),
        "next_path": next_path,
    }
    return render(request, "wechat/oauth_in_chat.html", context)


@require_GET
def fake_authorize_page(request: HttpRequest) -> HttpResponse:
    """The simulated account's stand-in for open.weixin.qq.com, for staff trying the demo's
    OAuth in their browser; a 404 for a real account."""
    account = current_account()
    if not account.simulated:
        raise Http404
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("wagtailadmin_login"))
    if not may_play_wechat(request.user):
        log.warning("fake authorize page refused to user %s", request.user.pk)
        message = "模拟微信网页授权是开发者工具，只对有权使用公众号模拟器的后台用户开放。"
        return _failed(request, message, status=403)
    query = request.GET.dict()
    refusal = _fake_refusal(query)
    if refusal:
        return _failed(request, refusal)
    openids = list(
        Follower.objects.filter(simulated=True).order_by("openid").values_list("openid", flat=True)
    )
    fake = fake_for(account.app_id, account.app_secret)
    status, headers, body = fake_authorize(fake, query, openids[:50])
    if not status.startswith("302"):
        return HttpResponse(body, status=int(status[:3]), content_type="text/html; charset=utf-8")
    location = dict(headers)["Location"]
    _remember_code(request, query.get("state", ""), parse_qs(urlsplit(location).query)["code"][0])
    return HttpResponseRedirect(location)


def _fake_refusal(query: dict[str, str]) -> str:
    """Why the simulated authorize page will not send this code back, or ""."""
    if query.get("redirect_uri") != settings.SITE_URL + reverse("wechat-oauth-callback"):
        return "模拟授权页只会跳回本站的微信登录回调地址。"
    openid = chosen_openid(query)
    if not openid:
        return ""
    if not OPENID_RE.fullmatch(openid):
        return "OpenID 只能由字母、数字、- 和 _ 组成，最多 64 个字符。"
    if Follower.objects.filter(openid=openid, simulated=False).exists():
        # Left from a time the account was real: the page speaks for simulated followers only.
        return "这个 OpenID 属于真实粉丝，模拟授权只能以模拟粉丝的身份继续。"
    return ""


def _code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _remember_code(request: HttpRequest, state: str, code: str) -> None:
    issued = dict(list(request.session.get(FAKE_CODES_KEY, {}).items())[-(MAX_PENDING - 1) :])
    issued[state] = _code_digest(code)
    request.session[FAKE_CODES_KEY] = issued


def _issued_here(request: HttpRequest, state: str, code: str) -> bool:
    """Whether the simulated authorize page issued this code, in this session, for this state
    (once: the record goes with the answer)."""
    issued = request.session.get(FAKE_CODES_KEY, {})
    digest = issued.pop(state, None)
    request.session[FAKE_CODES_KEY] = issued
    return digest is not None and constant_time_compare(digest, _code_digest(code))


def _site_origin() -> str:
    parts = urlsplit(settings.SITE_URL)
    return f"{parts.scheme}://{parts.netloc}"


def _same_origin(request: HttpRequest) -> bool:
    # A GET fetch carries no Origin; the browser's Sec-Fetch-Site, or else the Referer, says
    # whether one of our own pages asked.
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    referer = request.headers.get("Origin") or request.headers.get("Referer") or ""
    return referer == _site_origin() or referer.startswith(_site_origin() + "/")


@require_GET
def jssdk_config(request: HttpRequest) -> JsonResponse:
    """wx.config() for one of our pages, fetched by that page when it runs inside WeChat."""
    if not settings.WECHAT_JSSDK:
        raise Http404
    if not hit("wechat-jssdk", client_address(request), limit=60, per_seconds=60):
        return JsonResponse({"error": "操作太频繁，请稍后再试。"}, status=429)
    if not _same_origin(request):
        return JsonResponse({"error": "请求来源无效。"}, status=403)
    url = request.GET.get("url", "").split("#", 1)[0]
    if not (url == _site_origin() or url.startswith(_site_origin() + "/")):
        return JsonResponse({"error": "只能为本站的页面签名。"}, status=400)
    try:
        config = js_sdk_config(url, JS_API_LIST)
    except WeChatAPIError as error:
        log.warning("jssdk config failed: %s", error)
        return JsonResponse({"error": "暂时无法获取微信 JS-SDK 配置。"}, status=503)
    response = JsonResponse(config)
    response["Cache-Control"] = "private, no-store"
    return response
