"""The two doors a callback view needs: decode_request and encode_reply (plus verify_url for
the GET check). They take plain values, so the Django view stays a thin adapter."""

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from .crypto import MessageCrypto
from .errors import BadParameter
from .messages import Message, parse_message
from .parsing import DEFAULT_MAX_BODY_BYTES, envelope_from_fields, parse_fields
from .randomness import random_pool
from .replies import Reply, render_encrypted_envelope, reply_to
from .signature import (
    DEFAULT_REPLAY_WINDOW,
    check_timestamp,
    msg_signature,
    verify_msg_signature,
    verify_signature,
)

# What WeChat accepts as "no reply": it then stops retrying and shows nothing to the follower.
NO_REPLY = "success"


class Mode(StrEnum):
    PLAIN = "plain"  # 明文模式
    COMPATIBLE = "compatible"  # 兼容模式: plaintext and encrypted, as WeChat chooses
    SAFE = "safe"  # 安全模式: encrypted only


@dataclass(frozen=True)
class CallbackConfig:
    token: str
    mode: Mode = Mode.PLAIN
    crypto: MessageCrypto | None = None
    replay_window: int = DEFAULT_REPLAY_WINDOW
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", Mode(self.mode))
        if not self.token:
            raise ValueError("a WeChat callback needs its token")
        if self.mode is not Mode.PLAIN and self.crypto is None:
            raise ValueError(f"{self.mode} mode needs a MessageCrypto (EncodingAESKey and AppID)")


@dataclass(frozen=True)
class DecodedRequest:
    message: Message
    encrypted: bool  # whether the reply must be encrypted too
    raw_xml: bytes  # the message's XML, after decryption
    previous_key: bool = False  # opened with the previous EncodingAESKey: reply sealed with it


def _param(params: Mapping[str, str], name: str) -> str:
    value = params.get(name)
    if not value:
        raise BadParameter(f"query parameter {name!r} is missing")
    return value


def _needs_crypto(config: CallbackConfig) -> MessageCrypto:
    if config.crypto is None:
        raise BadParameter("the request is encrypted but the account is configured in plain mode")
    return config.crypto


def _is_encrypted(config: CallbackConfig, params: Mapping[str, str]) -> bool:
    says_encrypted = params.get("encrypt_type", "").lower() == "aes" or "msg_signature" in params
    if config.mode is Mode.SAFE:
        return True
    if config.mode is Mode.PLAIN and says_encrypted:
        raise BadParameter("the request is encrypted but the account is configured in plain mode")
    return says_encrypted


def verify_url(config: CallbackConfig, params: Mapping[str, str]) -> str:
    """Check WeChat's GET request when the callback URL is saved; return the text to echo.

    Official Accounts send echostr in clear even in safe mode; when a msg_signature comes
    along (WeCom and open-platform callbacks), echostr is encrypted and is opened here.
    """
    echostr, timestamp, nonce = (_param(params, n) for n in ("echostr", "timestamp", "nonce"))
    if "msg_signature" in params:
        crypto = _needs_crypto(config)
        verify_msg_signature(config.token, timestamp, nonce, echostr, params["msg_signature"])
        check_timestamp(timestamp, window=config.replay_window, clock=config.clock)
        return crypto.decrypt(echostr).decode()
    verify_signature(config.token, timestamp, nonce, _param(params, "signature"))
    check_timestamp(timestamp, window=config.replay_window, clock=config.clock)
    return echostr


def decode_request(
    config: CallbackConfig, params: Mapping[str, str], body: bytes | str
) -> DecodedRequest:
    """Authenticate a POSTed callback and return the message in it."""
    timestamp, nonce = _param(params, "timestamp"), _param(params, "nonce")
    if isinstance(body, str):
        body = body.encode()
    if not _is_encrypted(config, params):
        verify_signature(config.token, timestamp, nonce, _param(params, "signature"))
        check_timestamp(timestamp, window=config.replay_window, clock=config.clock)
        message = parse_message(body, max_bytes=config.max_body_bytes)
        return DecodedRequest(message=message, encrypted=False, raw_xml=body)

    crypto = _needs_crypto(config)
    signature = _param(params, "msg_signature")
    if "signature" in params:
        verify_signature(config.token, timestamp, nonce, params["signature"])
    check_timestamp(timestamp, window=config.replay_window, clock=config.clock)
    envelope = envelope_from_fields(parse_fields(body, max_bytes=config.max_body_bytes))
    verify_msg_signature(config.token, timestamp, nonce, envelope.encrypt, signature)
    raw_xml, previous_key = crypto.open(envelope.encrypt)
    message = parse_message(raw_xml, max_bytes=config.max_body_bytes)
    return DecodedRequest(
        message=message, encrypted=True, raw_xml=raw_xml, previous_key=previous_key
    )


def new_nonce() -> str:
    return str(random_pool.below(9 * 10**9) + 10**9)


def encode_reply(
    config: CallbackConfig,
    request: DecodedRequest,
    reply: Reply | None,
    *,
    nonce: str | None = None,
) -> str:
    """The HTTP response body answering `request`: encrypted when the request was, with the
    key that opened it (WeChat's rule while an EncodingAESKey is being changed)."""
    if reply is None:
        return NO_REPLY
    now = int(config.clock())
    xml = reply_to(request.message, reply, create_time=now)
    if not request.encrypted:
        return xml
    encrypt = _needs_crypto(config).encrypt(xml, previous=request.previous_key)
    nonce = nonce or new_nonce()
    signature = msg_signature(config.token, str(now), nonce, encrypt)
    return render_encrypted_envelope(encrypt, signature, now, nonce)
