"""The fake's stand-in for WeChat's web OAuth page (open.weixin.qq.com/connect/oauth2/authorize).

Inside WeChat the follower's browser opens that page and WeChat, which knows who is signed in
to the app, sends it straight back to redirect_uri with a code. The fake cannot know who is
holding the phone, so it asks: a developer picks a follower (or types any openid) and is sent
back with a signed code that /sns/oauth2/access_token redeems once.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

if TYPE_CHECKING:
    from .core import FakeWeChat

Answer = tuple[str, list[tuple[str, str]], bytes]
SCOPES = ("snsapi_base", "snsapi_userinfo")
PASSED_ON = ("appid", "redirect_uri", "response_type", "scope", "state")


def authorize(fake: FakeWeChat, query: dict[str, str], openids: list[str]) -> Answer:
    """The page (or the redirect) for one GET of the authorize URL."""
    refusal = _refusal(fake, query)
    if refusal:
        return _page("400 Bad Request", f"<p class=error>{escape(refusal)}</p>")
    openid = chosen_openid(query)
    if not openid:
        return _page("200 OK", _picker(query, openids))
    return "302 Found", [("Location", back_with_code(fake, query, openid))], b""


def chosen_openid(query: dict[str, str]) -> str:
    """The follower picked on the page, or typed; "" while the page is still to be shown."""
    return (query.get("openid") or query.get("any_openid") or "").strip()


def back_with_code(fake: FakeWeChat, query: dict[str, str], openid: str) -> str:
    redirect_uri = query["redirect_uri"]
    joiner = "&" if "?" in redirect_uri else "?"
    code = fake.issue_oauth_code(openid)
    return f"{redirect_uri}{joiner}{urlencode({'code': code, 'state': query.get('state', '')})}"


def _refusal(fake: FakeWeChat, query: dict[str, str]) -> str:
    # The same checks, in Chinese, that WeChat's page shows before it redirects anywhere.
    if query.get("appid") != fake.app_id:
        return "appid 参数错误：不是本公众号的 AppID。"
    if query.get("response_type") != "code":
        return "response_type 参数错误，应为 code。"
    if query.get("scope") not in SCOPES:
        return "scope 参数错误或没有 scope 权限。"
    target = urlsplit(query.get("redirect_uri", ""))
    if target.scheme not in ("http", "https") or not target.netloc:
        return "redirect_uri 参数错误。"
    if len(query.get("state", "")) > 128:
        return "state 参数过长（最多 128 字节）。"
    return ""


def _picker(query: dict[str, str], openids: list[str]) -> str:
    hidden = "".join(
        f'<input type=hidden name="{name}" value="{escape(query.get(name, ""))}">'
        for name in PASSED_ON
    )
    options = "".join(
        f'<button name=openid value="{escape(openid)}">{escape(openid)}</button>'
        for openid in openids
    )
    target = escape(urlsplit(query["redirect_uri"]).netloc)
    return (
        f"<h1>模拟微信网页授权</h1><p>{target} 请求获取你的身份（{escape(query['scope'])}）。"
        "真实的微信会直接跳回；这里请选择以哪位粉丝的身份继续。</p>"
        f"<form method=get>{hidden}<div class=followers>{options or '<p>还没有模拟粉丝。</p>'}"
        "</div><p><label>或输入任意 OpenID <input name=any_openid maxlength=64></label> "
        "<button>以此身份继续</button></p></form>"
    )


def _page(status: str, body: str) -> Answer:
    page = (
        '<!doctype html><html lang="zh-CN"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        "<title>模拟微信网页授权</title>"
        "<style>body{font:16px/1.6 sans-serif;margin:1.5em;max-width:32em}"
        "button{display:block;margin:.4em 0;padding:.5em 1em}.error{color:#c00}</style>"
        f"<body>{body}</body></html>"
    ).encode()
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(page)))]
    return status, headers, page
