"""Who an anonymous reader is, for unique visitors and likes: a signed cookie per browser.

The cookie ``wz_r`` carries a reader id (32 hex digits) and a MAC of it (keyed BLAKE2b)
under a key derived from SECRET_KEY, so a browser cannot choose its id: a missing or
forged value is no cookie at all, and a fresh id is issued. A follower who signed in
through WeChat gets the id derived from their openid instead (one reader on every device,
and no openid in the cookie), which the cookie keeps once the session is over. Checking a
cookie costs about a microsecond, cheap enough for the cache-hit path in front of Django.
"""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.http import HttpResponse

READER_COOKIE = "wz_r"
READER_COOKIE_AGE = 365 * 24 * 3600
_KEY_SALT = b"weizhi.analytics.readers"
_keyed: tuple[str, bytes] | None = None


def _mac(message: bytes, purpose: bytes) -> str:
    # Keyed BLAKE2b is a MAC by design, and three times as fast here as HMAC-SHA256.
    global _keyed
    secret = settings.SECRET_KEY
    if _keyed is None or _keyed[0] != secret:
        _keyed = (secret, hashlib.sha256(_KEY_SALT + secret.encode()).digest())
    return hashlib.blake2b(message, key=_keyed[1], digest_size=16, person=purpose).hexdigest()


def new_reader() -> str:
    return secrets.token_hex(16)


def follower_reader(openid: str) -> str:
    """The reader id of a WeChat follower, the same wherever they read."""
    return _mac(openid.encode(), b"wz-openid")


def signed(reader: str) -> str:
    """The cookie value for a reader id."""
    return f"{reader}.{_mac(reader.encode(), b'wz-cookie')}"


def verified(value: str | None) -> str | None:
    """The reader id a cookie value carries, if we signed it; None for anything else."""
    if not value or len(value) != 65 or value[32] != ".":
        return None
    reader, mac = value[:32], value[33:]
    expected = _mac(reader.encode(), b"wz-cookie")
    return reader if hmac.compare_digest(mac.encode(), expected.encode()) else None


def reader_cookie_header(value: str, secure: bool) -> str:
    # A signed value is hex digits and a dot: nothing in it needs quoting.
    tail = "; Secure" if secure else ""
    attributes = f"HttpOnly; Max-Age={READER_COOKIE_AGE}; Path=/; SameSite=Lax{tail}"
    return f"{READER_COOKIE}={value}; {attributes}"


def set_reader_cookie(response: HttpResponse, value: str) -> None:
    response.set_cookie(
        READER_COOKIE,
        value,
        max_age=READER_COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SECURE,
    )
