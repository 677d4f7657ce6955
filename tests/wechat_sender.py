"""Talk to the real callback URL as WeChat's servers do (signed and, per mode, encrypted)."""

import time

import pytest
from django.test import Client

from tests.fake_wechat_server import APP_ID, SECRET, fake_wechat  # noqa: F401 (fixture)
from weizhi.wechat.account import current_account, forget_account
from weizhi.wechat.protocol.sender import Sender, message_xml, new_msg_id

ACCOUNT_ID = "gh_weizhi_test"
URL = "/wechat/callback/"


def sender() -> Sender:
    account = current_account()
    return Sender(token=account.token, mode=account.mode, crypto=account.crypto())


def fields(openid: str, msg_type: str, **extra: str | int) -> dict[str, str | int]:
    base: dict[str, str | int] = {
        "ToUserName": ACCOUNT_ID,
        "FromUserName": openid,
        "CreateTime": int(time.time()),
        "MsgType": msg_type,
    }
    if msg_type != "event" and "MsgId" not in extra:
        base["MsgId"] = new_msg_id()
    return {**base, **extra}


def text(openid: str, content: str, **extra) -> dict:
    return fields(openid, "text", Content=content, **extra)


def event(openid: str, name: str, **extra) -> dict:
    return fields(openid, "event", Event=name, **extra)


def post(client: Client, message: dict, via: Sender | None = None):
    """POST one message; the response and the opened reply fields (None for "success")."""
    via = via or sender()
    params, body = via.seal(message_xml(message))
    query = "&".join(f"{k}={v}" for k, v in params.items())
    response = client.post(f"{URL}?{query}", data=body, content_type="text/xml")
    reply = via.open_reply(response.content) if response.status_code == 200 else None
    return response, reply


@pytest.fixture
def account_on_fake(settings, fake_wechat):  # noqa: F811
    """A real (not simulated) account whose API calls go to the fake WeChat over HTTP."""
    from weizhi.wechat.api.tokens import default_store

    settings.WECHAT_APP_ID = APP_ID
    settings.WECHAT_APP_SECRET = SECRET
    settings.WECHAT_TOKEN = "callbacktoken"
    settings.WECHAT_ENCODING_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    settings.WECHAT_MESSAGE_MODE = "safe"
    settings.WECHAT_API_BASE = fake_wechat.url
    forget_account()
    default_store.forget()
    yield fake_wechat
    forget_account()
    default_store.forget()
