"""Request signatures and the replay window.

WeChat signs each callback with SHA-1 over the lexicographically sorted concatenation of the
token, timestamp and nonce (`signature`); in safe mode it adds the ciphertext (`msg_signature`).
"""

import hashlib
import hmac
import time
from collections.abc import Callable

from .errors import BadParameter, SignatureMismatch, StaleTimestamp

DEFAULT_REPLAY_WINDOW = 300


def sha1_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324 (WeChat's choice)


def callback_signature(token: str, timestamp: str, nonce: str) -> str:
    return sha1_signature(token, timestamp, nonce)


def msg_signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    return sha1_signature(token, timestamp, nonce, encrypt)


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode())


def verify_signature(token: str, timestamp: str, nonce: str, signature: str) -> None:
    if not _same(callback_signature(token, timestamp, nonce), signature):
        raise SignatureMismatch("signature does not match token, timestamp and nonce")


def verify_msg_signature(
    token: str, timestamp: str, nonce: str, encrypt: str, signature: str
) -> None:
    if not _same(msg_signature(token, timestamp, nonce, encrypt), signature):
        raise SignatureMismatch("msg_signature does not match token, timestamp, nonce and Encrypt")


def parse_timestamp(value: str | int) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise BadParameter(f"timestamp is not an integer: {str(value)[:40]!r}") from None


def check_timestamp(
    timestamp: str | int,
    *,
    window: int = DEFAULT_REPLAY_WINDOW,
    clock: Callable[[], float] = time.time,
) -> int:
    """Return the timestamp as an int, or raise StaleTimestamp when it is more than `window`
    seconds away from now in either direction (a skewed clock can run ahead, too)."""
    value = parse_timestamp(timestamp)
    now = clock()
    if abs(now - value) > window:
        raise StaleTimestamp(
            f"timestamp {value} is {int(now - value)} s away from now; the window is {window} s"
        )
    return value
