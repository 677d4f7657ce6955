"""The access token and jsapi_ticket, shared by every process of the deployment.

Each process holds the value in memory; behind that is one database row per account and
kind. A refresh takes a short lease on the row (select_for_update on PostgreSQL; SQLite's
IMMEDIATE transactions serialise the same writes), calls WeChat outside any transaction,
and stores the answer, so that N processes asking at once cause one call to WeChat.
"""

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from weizhi.wechat.records.models import Credential

if TYPE_CHECKING:
    from .client import WeChatClient

log = logging.getLogger("weizhi.wechat.api")

# WeChat hands out a new token in the last five minutes of the old one's life.
REFRESH_MARGIN = timedelta(minutes=5)
LEASE = timedelta(seconds=20)
WAIT_STEP = 0.05

Fetch = Callable[["WeChatClient", bool], tuple[str, int]]


@dataclass(frozen=True)
class Held:
    value: str
    expires_at: datetime

    def fresh(self, now: datetime) -> bool:
        return bool(self.value) and self.expires_at - REFRESH_MARGIN > now


def fetch_access_token(client: "WeChatClient", force: bool) -> tuple[str, int]:
    body = client.call(
        "POST",
        "/cgi-bin/stable_token",
        json={
            "grant_type": "client_credential",
            "appid": client.account.app_id,
            "secret": client.account.app_secret,
            "force_refresh": force,
        },
        idempotent=True,
        with_token=False,
    )
    return str(body["access_token"]), int(body.get("expires_in", 7200))


def fetch_jsapi_ticket(client: "WeChatClient", force: bool) -> tuple[str, int]:
    body = client.get("/cgi-bin/ticket/getticket", {"type": "jsapi"})
    return str(body["ticket"]), int(body.get("expires_in", 7200))


class TokenStore:
    """One per process (tests make two to play two processes sharing one database)."""

    def __init__(self) -> None:
        self._memory: dict[tuple[str, str], Held] = {}
        # One lock per kind: refreshing the ticket needs the access token meanwhile.
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()

    def access_token(self, client: "WeChatClient") -> str:
        return self.get(client, Credential.Kind.ACCESS_TOKEN, fetch_access_token)

    def refresh_access_token(self, client: "WeChatClient", stale: str) -> str:
        return self.get(client, Credential.Kind.ACCESS_TOKEN, fetch_access_token, stale=stale)

    def jsapi_ticket(self, client: "WeChatClient", stale: str = "") -> str:
        return self.get(client, Credential.Kind.JSAPI_TICKET, fetch_jsapi_ticket, stale=stale)

    def forget(self) -> None:
        self._memory.clear()

    def get(self, client: "WeChatClient", kind: str, fetch: Fetch, stale: str = "") -> str:
        """The current value; with stale, one that is not stale (WeChat rejected it)."""
        key = (client.account.app_id, kind)
        held = self._memory.get(key)
        if held and held.fresh(timezone.now()) and held.value != stale:
            return held.value
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            held = self._memory.get(key)
            if held and held.fresh(timezone.now()) and held.value != stale:
                return held.value
            held = self._shared(client, kind, fetch, stale)
            self._memory[key] = held
            return held.value

    def _shared(self, client: "WeChatClient", kind: str, fetch: Fetch, stale: str) -> Held:
        app_id = client.account.app_id
        owner = secrets.token_hex(8)
        deadline = time.monotonic() + LEASE.total_seconds()
        while True:
            held, leased = _take_lease(app_id, kind, owner, stale)
            if held is not None:
                return held
            if leased or time.monotonic() > deadline:
                break
            time.sleep(WAIT_STEP)  # another process is asking WeChat; its answer lands soon
        try:
            value, expires_in = fetch(client, bool(stale))
        except Exception:
            _release(app_id, kind, owner)
            raise
        expires_at = timezone.now() + timedelta(seconds=expires_in)
        Credential.objects.filter(app_id=app_id, kind=kind).update(
            value=value,
            expires_at=expires_at,
            lease_until=None,
            lease_owner="",
            refreshed_at=timezone.now(),
        )
        log.info("wechat credential refreshed kind=%s forced=%s", kind, bool(stale))
        return Held(value, expires_at)


def _take_lease(app_id: str, kind: str, owner: str, stale: str) -> tuple[Held | None, bool]:
    """(a usable stored value, None) or (None, whether we now hold the refresh lease)."""
    now = timezone.now()
    with transaction.atomic():
        Credential.objects.get_or_create(app_id=app_id, kind=kind)
        row = Credential.objects.select_for_update().get(app_id=app_id, kind=kind)
        held = Held(row.value, row.expires_at or now)
        if held.fresh(now) and row.value != stale:
            return held, False
        if row.lease_until and row.lease_until > now and row.lease_owner != owner:
            return None, False
        row.lease_until = now + LEASE
        row.lease_owner = owner
        row.save(update_fields=["lease_until", "lease_owner"])
        return None, True


def _release(app_id: str, kind: str, owner: str) -> None:
    Credential.objects.filter(app_id=app_id, kind=kind, lease_owner=owner).update(
        lease_until=None, lease_owner=""
    )


default_store = TokenStore()
