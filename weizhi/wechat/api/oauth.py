"""H5 identity through WeChat's web OAuth, snsapi_base (openid only, no consent screen).

Only verified service accounts have web OAuth; where it is missing WeChat answers 48001 and
the H5 pages fall back to the signed one-time link sent in chat.
"""

from typing import TYPE_CHECKING
from urllib.parse import quote

from django.conf import settings

from .client import WeChatClient, default_client

if TYPE_CHECKING:
    from weizhi.wechat.account import Account

AUTHORIZE = "https://open.weixin.qq.com/connect/oauth2/authorize"
# The simulated account's stand-in for open.weixin.qq.com (fake/authorize.py), served in-process.
SIMULATED_AUTHORIZE_PATH = "/wechat/oauth/fake/connect/oauth2/authorize"


def authorize_base(account: "Account") -> str:
    """WeChat's authorize page, or for the simulated account the fake's, on this site."""
    if account.simulated:
        return settings.SITE_URL + SIMULATED_AUTHORIZE_PATH
    return AUTHORIZE


def authorize_url(
    app_id: str,
    redirect_uri: str,
    state: str = "",
    scope: str = "snsapi_base",
    *,
    base: str = AUTHORIZE,
) -> str:
    """Where to send the follower's browser; WeChat returns to redirect_uri?code=…&state=…."""
    return (
        f"{base}?appid={app_id}&redirect_uri={quote(redirect_uri, safe='')}"
        f"&response_type=code&scope={scope}&state={quote(state, safe='')}#wechat_redirect"
    )


def openid_for_code(code: str, *, client: WeChatClient | None = None) -> str:
    """Exchange the one-time code for the follower's openid (40029: bad or used code)."""
    client = client or default_client()
    body = client.call(
        "GET",
        "/sns/oauth2/access_token",
        params={
            "appid": client.account.app_id,
            "secret": client.account.app_secret,
            "code": code,
            "grant_type": "authorization_code",
        },
        with_token=False,
        idempotent=False,  # a code works once; a retry after a lost answer would get 40163
    )
    return str(body["openid"])
