"""Messages weizhi sends to a follower outside a callback's answer."""

from weizhi.wechat.outbound.client import default_client


def send_custom_message(payload: dict) -> None:
    default_client().post("/cgi-bin/message/custom/send", json=payload)
