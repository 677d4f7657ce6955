"""The callback benchmark's baseline: the WeChat protocol alone, as a bare WSGI app.

Served by granian exactly like weizhi (same workers and threads), it does what no callback
can skip: check the signatures and the replay window, parse the envelope, decrypt, parse
the message, and answer every message with an encrypted text reply, using
weizhi's own protocol package. No Django, no database, no reply rules.
"""

import os
from urllib.parse import parse_qsl

from weizhi.wechat.protocol import (
    CallbackConfig,
    MessageCrypto,
    Mode,
    ProtocolError,
    TextReply,
    decode_request,
    encode_reply,
)

CONFIG = CallbackConfig(
    token=os.environ["WECHAT_TOKEN"],
    mode=Mode.SAFE,
    crypto=MessageCrypto(os.environ["WECHAT_ENCODING_AES_KEY"], os.environ["WECHAT_APP_ID"]),
)
REPLY = TextReply("收到")


def application(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    params = dict(parse_qsl(environ.get("QUERY_STRING", "")))
    try:
        decoded = decode_request(CONFIG, params, body)
    except ProtocolError as exc:
        start_response("403 Forbidden", [("Content-Type", "text/plain")])
        return [str(exc).encode()]
    answer = encode_reply(CONFIG, decoded, REPLY).encode()
    start_response(
        "200 OK",
        [("Content-Type", "application/xml; charset=utf-8"), ("Content-Length", str(len(answer)))],
    )
    return [answer]
