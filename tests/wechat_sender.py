"""Talk to the real callback URL as WeChat's servers do (signed and, per mode, encrypted)."""

import time

from django.test import Client

from weizhi.wechat.account import current_account
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
