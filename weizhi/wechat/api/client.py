"""Our small synchronous client of WeChat's server API, over httpx.

One call = one log line with the path, errcode, attempts and time; never the token, the
secret or the body. Retries only where they help: a rejected access token is refreshed once,
"system busy" (-1) is retried with backoff, and a network failure is retried only when the
call is idempotent (or the connection was never made, so WeChat cannot have acted on it).
"""

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import httpx

from weizhi.wechat.account import Account, current_account

from .errors import NETWORK_ERROR, SYSTEM_BUSY, TOKEN_INVALID, WeChatAPIError
from .tokens import default_store

log = logging.getLogger("weizhi.wechat.api")

TIMEOUT = httpx.Timeout(connect=5.0, read=15.0, write=15.0, pool=5.0)
UPLOAD_TIMEOUT = httpx.Timeout(connect=5.0, read=60.0, write=60.0, pool=5.0)
MAX_RETRIES = 2
BACKOFF_SECONDS = 0.5

Files = dict[str, tuple[str, bytes, str]]


class TokenSource(Protocol):
    def access_token(self, client: "WeChatClient") -> str: ...

    def refresh_access_token(self, client: "WeChatClient", stale: str) -> str: ...

    def jsapi_ticket(self, client: "WeChatClient", stale: str = "") -> str: ...


_TOKEN_IN_URL = re.compile(r"(access_token=)[^&\s\"']+")


class RedactTokens(logging.Filter):
    """httpx logs every request URL at INFO, and ours carry the access token in the query."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                _TOKEN_IN_URL.sub(r"\1***", str(a)) if "access_token=" in str(a) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        record.msg = _TOKEN_IN_URL.sub(r"\1***", str(record.msg))
        return True


logging.getLogger("httpx").addFilter(RedactTokens())

_shared_http: httpx.Client | None = None
_shared_lock = threading.Lock()


_simulated_app: Callable[[Account], Any] | None = None
_simulated_http: dict[Any, httpx.Client] = {}


def serve_simulated_with(app_for: Callable[[Account], Any]) -> None:
    """Call the simulated account's fake WeChat in this process (a WSGI app per account).

    Over HTTP the calls went to SITE_URL, the address readers use, which need not reach this
    server (another port, a proxy, a tunnel): the search answer then failed as 客服消息发送失败.
    """
    global _simulated_app
    _simulated_app = app_for


def http_for(account: Account) -> httpx.Client:
    if account.simulated and _simulated_app is not None:
        app = _simulated_app(account)
        with _shared_lock:
            if app not in _simulated_http:
                _simulated_http.clear()
                transport = httpx.WSGITransport(app=app)
                _simulated_http[app] = httpx.Client(transport=transport, timeout=TIMEOUT)
            return _simulated_http[app]
    return shared_http()


def shared_http() -> httpx.Client:
    """One connection pool per process; httpx.Client is safe to share between threads."""
    global _shared_http
    with _shared_lock:
        if _shared_http is None:
            _shared_http = httpx.Client(timeout=TIMEOUT, headers={"User-Agent": "weizhi"})
        return _shared_http


class WeChatClient:
    def __init__(
        self,
        account: Account,
        *,
        http: httpx.Client | None = None,
        tokens: TokenSource | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_retries: int = MAX_RETRIES,
        backoff: float = BACKOFF_SECONDS,
        timeout: httpx.Timeout = TIMEOUT,
        upload_timeout: httpx.Timeout = UPLOAD_TIMEOUT,
    ) -> None:
        if tokens is None:
            tokens = default_store
        self.account = account
        self.http = http or http_for(account)
        self.tokens = tokens
        self.sleep = sleep
        self.max_retries = max_retries
        self.backoff = backoff
        self.timeout = timeout
        self.upload_timeout = upload_timeout

    def get(self, path: str, params: dict[str, Any] | None = None, **kw: Any) -> dict:
        return self.call("GET", path, params=params, idempotent=True, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> dict:
        return self.call("POST", path, json=json, **kw)

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        files: Files | None = None,
        data: dict[str, str] | None = None,
        idempotent: bool = False,
        with_token: bool = True,
    ) -> dict:
        """Call one endpoint and return its JSON; raise WeChatAPIError on a non-zero errcode."""
        started = time.monotonic()
        attempt = refreshed = 0
        token = self.tokens.access_token(self) if with_token else ""
        while True:
            attempt += 1
            query = {**(params or {}), **({"access_token": token} if with_token else {})}
            try:
                body = self._send(method, path, query, json, files, data)
            except httpx.TransportError as exc:
                if self._may_retry_transport(exc, idempotent, attempt):
                    self._pause(attempt)
                    continue
                self._log(method, path, NETWORK_ERROR, attempt, started, type(exc).__name__)
                raise WeChatAPIError(NETWORK_ERROR, type(exc).__name__, path) from exc
            errcode = _errcode(body)
            if errcode in TOKEN_INVALID and with_token and not refreshed:
                refreshed = 1
                token = self.tokens.refresh_access_token(self, stale=token)
                continue
            if errcode == SYSTEM_BUSY and attempt <= self.max_retries:
                self._pause(attempt)
                continue
            self._log(method, path, errcode, attempt, started, "")
            if errcode:
                raise WeChatAPIError(errcode, str(body.get("errmsg", "")), path, body)
            return body

    def _send(
        self,
        method: str,
        path: str,
        query: dict[str, Any],
        json: Any,
        files: Files | None,
        data: dict[str, str] | None,
    ) -> dict:
        url = self.account.api_base + path
        timeout = self.upload_timeout if files else self.timeout
        if json is not None:
            # WeChat wants UTF-8 Chinese as is; "\u4f5c" escapes are stored literally.
            content = _dumps(json)
            response = self.http.request(
                method,
                url,
                params=query,
                content=content,
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=timeout,
            )
        else:
            response = self.http.request(
                method, url, params=query, files=files, data=data, timeout=timeout
            )
        try:
            body = response.json()
        except ValueError:
            raise WeChatAPIError(
                NETWORK_ERROR, f"HTTP {response.status_code}, not JSON", path
            ) from None
        return body if isinstance(body, dict) else {"errcode": NETWORK_ERROR}

    def _may_retry_transport(self, exc: Exception, idempotent: bool, attempt: int) -> bool:
        never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
        return (idempotent or never_sent) and attempt <= self.max_retries

    def _pause(self, attempt: int) -> None:
        self.sleep(self.backoff * (2 ** (attempt - 1)))

    def _log(
        self, method: str, path: str, errcode: int, attempt: int, started: float, note: str
    ) -> None:
        elapsed_ms = (time.monotonic() - started) * 1000
        level = logging.INFO if errcode == 0 else logging.WARNING
        log.log(
            level,
            "wechat api %s %s errcode=%s attempts=%d elapsed_ms=%.0f%s",
            method,
            path,
            errcode,
            attempt,
            elapsed_ms,
            f" error={note}" if note else "",
        )


def _errcode(body: dict) -> int:
    try:
        return int(body.get("errcode", 0) or 0)
    except (TypeError, ValueError):
        return NETWORK_ERROR


def _dumps(value: Any) -> bytes:
    import json

    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def default_client() -> WeChatClient:
    """A client for the account in force now (the simulated one when none is configured)."""
    return WeChatClient(current_account())
