"""A fake of WeChat's server API: same paths, JSON shapes and error codes, no network.

Pure Python (no Django): a handler object with a WSGI face. Tests run it over real HTTP on
127.0.0.1; the demo mounts it in-process under /wechat/fake-api/ for the simulated account.

Access tokens are self-validating (HMAC with the account's secret, carrying their expiry), so
a token issued by one web process is accepted by another; web OAuth codes are signed the same
way, though a used code is remembered only by the process that redeemed it. Everything else —
menu, media, drafts, publish jobs, mass sends, followers, tags, injected failures — lives in
the memory of the process that received the call; in embedded mode's two web workers each has
its own.
"""

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from .authorize import authorize
from .endpoints import ROUTES, UNAUTHENTICATED
from .media import MEDIA_GET, media_get
from .state import State
from .wire import Refusal, Request, request_from_wsgi

ERRMSG: dict[int, str] = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40014: "invalid access_token",
    42001: "access_token expired",
    40164: "invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist",
    45009: "reach max api daily quota limit",
    48001: "api unauthorized",
}
TOKEN_LIFETIME = 7200
OAUTH_CODE_LIFETIME = 300  # WeChat: a web OAuth code lives five minutes and works once
AUTHORIZE_PATH = "/connect/oauth2/authorize"
REFRESH_WINDOW = 300


class FakeWeChat:
    def __init__(
        self,
        app_id: str,
        secret: str,
        *,
        strict_users: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app_id = app_id
        self.secret = secret
        self.strict_users = strict_users
        self.user_page_size = 10000
        self.clock = clock
        self.lock = threading.RLock()
        self.state = State()
        self.calls: list[tuple[str, str]] = []
        self._failures: dict[str, list[tuple[int, str]]] = {}
        self._delays: dict[str, list[float]] = {}
        self._current_token = ""
        self._revoked_before_ms = 0
        self._expired_before_ms = 0

    # What tests use to steer the fake.

    def fail_next(self, path: str, errcode: int, errmsg: str = "", times: int = 1) -> None:
        """The next `times` calls to path answer errcode (before any other check)."""
        with self.lock:
            queue = self._failures.setdefault(path, [])
            queue.extend([(errcode, errmsg or ERRMSG.get(errcode, "error"))] * times)

    def delay_next(self, path: str, seconds: float, times: int = 1) -> None:
        with self.lock:
            self._delays.setdefault(path, []).extend([seconds] * times)

    def count(self, path: str) -> int:
        with self.lock:
            return sum(1 for _, called in self.calls if called == path)

    def add_media(self, data: bytes, content_type: str = "audio/amr") -> str:
        """Temporary media as a follower's message leaves it (a voice message's MediaId)."""
        media_id = self.new_id("media")
        with self.lock:
            self.state.media[media_id] = (data, content_type)
        return media_id

    def expire_tokens(self) -> None:
        """Every token issued so far now answers 42001, as after two hours."""
        with self.lock:
            self._expired_before_ms = self._now_ms() + 1
            self._current_token = ""

    def revoke_tokens(self) -> None:
        """Every token issued so far now answers 40001, as after another force_refresh."""
        with self.lock:
            self._revoked_before_ms = self._now_ms() + 1
            self._current_token = ""

    # Tokens.

    def issue_token(self, force: bool = False) -> tuple[str, int]:
        with self.lock:
            now_ms = self._now_ms()
            if force:
                self._revoked_before_ms = now_ms
            elif self._current_token and self.check_token(self._current_token) == 0:
                left = self._expiry_ms(self._current_token) - now_ms
                if left > REFRESH_WINDOW * 1000:
                    return self._current_token, left // 1000
            self._current_token = self._sign(f"{now_ms}:{now_ms + TOKEN_LIFETIME * 1000}")
            return self._current_token, TOKEN_LIFETIME

    def check_token(self, token: str) -> int:
        """0 if the token is ours and alive, else the errcode WeChat would answer."""
        if not token:
            return 41001
        payload, _, sig = token.partition(".")
        try:
            raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
            app_id, issued, expires, _nonce = raw.split(":")
            issued_ms, expires_ms = int(issued), int(expires)
        except ValueError:
            return 40001
        if app_id != self.app_id or not hmac.compare_digest(sig, self._mac(payload)):
            return 40001
        if issued_ms < self._revoked_before_ms:
            return 40001
        if expires_ms <= self._now_ms() or issued_ms < self._expired_before_ms:
            return 42001
        return 0

    def new_id(self, kind: str) -> str:
        """A media or draft id any process of this account's fake recognises (signed)."""
        raw = f"{kind}-{secrets.token_hex(8)}"
        return f"{raw}-{self._mac(raw)[:16]}"

    def signed_id(self, value: str, kind: str) -> bool:
        raw, _, sig = value.rpartition("-")
        return raw.startswith(f"{kind}-") and hmac.compare_digest(sig, self._mac(raw)[:16])

    def issue_oauth_code(self, openid: str) -> str:
        """A web OAuth code for openid, alive OAUTH_CODE_LIFETIME seconds and signed, so the
        process that redeems it need not be the one that issued it (as with tokens)."""
        expires_ms = self._now_ms() + OAUTH_CODE_LIFETIME * 1000
        raw = f"{self.app_id}:{expires_ms}:{secrets.token_hex(6)}:{openid}"
        payload = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
        return f"{payload}.{self._mac(payload)}"

    def openid_in_code(self, code: str) -> tuple[int, str]:
        """(0, openid) for a live signed code, else (errcode, ""); used codes are the
        caller's concern (remembered in state.used_codes, per process)."""
        payload, _, sig = code.partition(".")
        try:
            raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
            app_id, expires, _nonce, openid = raw.split(":", 3)
            expires_ms = int(expires)
        except ValueError:
            return 40029, ""
        if app_id != self.app_id or not hmac.compare_digest(sig, self._mac(payload)):
            return 40029, ""
        if expires_ms <= self._now_ms():
            return 40029, ""  # WeChat answers an expired code like a made-up one
        return 0, openid

    def _sign(self, times: str) -> str:
        raw = f"{self.app_id}:{times}:{secrets.token_hex(4)}"
        payload = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
        return f"{payload}.{self._mac(payload)}"

    def _mac(self, payload: str) -> str:
        return hmac.new(self.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()[:40]

    def _expiry_ms(self, token: str) -> int:
        payload = token.partition(".")[0]
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
        return int(raw.split(":")[2])

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    # Dispatch.

    def handle(self, request: Request) -> dict:
        with self.lock:
            self.calls.append((request.method, request.path))
            failure = self._pop(self._failures, request.path)
            delay = self._pop(self._delays, request.path)
        if delay:
            time.sleep(delay)  # to provoke the client's read timeout
        if failure:
            return {"errcode": failure[0], "errmsg": failure[1]}
        route = ROUTES.get(request.path)
        if route is None:
            return {"errcode": 40066, "errmsg": "invalid url"}
        method, handler = route
        if request.method != method:
            return {"errcode": 43001 if method == "GET" else 43002, "errmsg": f"require {method}"}
        if request.path not in UNAUTHENTICATED:
            errcode = self.check_token(request.query.get("access_token", ""))
            if errcode:
                return {"errcode": errcode, "errmsg": ERRMSG.get(errcode, "invalid credential")}
        try:
            with self.lock:
                return handler(self, request)
        except Refusal as refusal:
            return {"errcode": refusal.errcode, "errmsg": refusal.errmsg, **refusal.extra}

    @staticmethod
    def _pop(queues: dict[str, list], path: str) -> Any:
        queue = queues.get(path)
        return queue.pop(0) if queue else None

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        """WSGI: PATH_INFO is the API path, e.g. /cgi-bin/menu/create."""
        if environ.get("PATH_INFO") == AUTHORIZE_PATH:
            query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
            status, headers, page = authorize(self, query, sorted(self.state.users))
            start_response(status, headers)
            return [page]
        request = request_from_wsgi(environ)
        if request is not None and request.path == MEDIA_GET:
            status, headers, body = media_get(self, request)
            start_response(status, headers)
            return [body]
        if request is None:
            answer = {"errcode": 47001, "errmsg": "data format error"}
        else:
            answer = self.handle(request)
        body = json.dumps(answer, ensure_ascii=False).encode()
        start_response(
            "200 OK",
            [
                ("Content-Type", "application/json; encoding=utf-8"),
                ("Content-Length", str(len(body))),
            ],
        )
        return [body]
