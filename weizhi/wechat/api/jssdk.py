"""JS-SDK configuration for H5 pages opened inside WeChat (share, voice recording)."""

import hashlib
import secrets
import time
from typing import Any

from .client import WeChatClient, default_client

# What the H5 pages use: sharing (and counting shares), and recording a read-along clip.
JS_API_LIST = [
    "updateAppMessageShareData",
    "updateTimelineShareData",
    # Older share calls, whose success is the reader's tap on share (counted, see share.js).
    "onMenuShareAppMessage",
    "onMenuShareTimeline",
    "startRecord",
    "stopRecord",
    "onVoiceRecordEnd",
    "playVoice",
    "uploadVoice",
]


def jsapi_signature(jsapi_ticket: str, noncestr: str, timestamp: int | str, url: str) -> str:
    """SHA-1 of the four fields sorted by name, joined as key=value&… (JS-SDK appendix 1).

    The url is the page's full address without the #fragment, not URL-escaped.
    """
    url = url.split("#", 1)[0]
    fields = {
        "jsapi_ticket": jsapi_ticket,
        "noncestr": noncestr,
        "timestamp": timestamp,
        "url": url,
    }
    joined = "&".join(f"{key}={fields[key]}" for key in sorted(fields))
    return hashlib.sha1(joined.encode()).hexdigest()  # noqa: S324 - WeChat's algorithm


def jsapi_ticket(client: WeChatClient | None = None) -> str:
    client = client or default_client()
    return client.tokens.jsapi_ticket(client)


def js_sdk_config(
    url: str, js_api_list: list[str], *, client: WeChatClient | None = None
) -> dict[str, Any]:
    """The object for wx.config() on the page at url."""
    client = client or default_client()
    ticket = client.tokens.jsapi_ticket(client)
    noncestr = secrets.token_urlsafe(12)
    timestamp = int(time.time())
    return {
        "appId": client.account.app_id,
        "timestamp": timestamp,
        "nonceStr": noncestr,
        "signature": jsapi_signature(ticket, noncestr, timestamp, url),
        "jsApiList": js_api_list,
    }
