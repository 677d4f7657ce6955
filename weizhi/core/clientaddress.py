"""The address of the client behind a request, for everything keyed by address.

Behind nginx every request comes from nginx's address; the client's is in X-Forwarded-For
(or X-Real-IP), which anyone can also send. So those headers count only when the peer is
one of ``settings.TRUSTED_PROXIES``, and X-Forwarded-For is read from the right: each
trusted proxy appended the address it was talking to, and the right-most address that is
not a trusted proxy is the client. Entries to its left are the client's own claims.
"""

import ipaddress
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def client_address(source: HttpRequest | Mapping[str, Any]) -> str:
    """The client's IP address, from a request or from a raw WSGI environ."""
    environ = source.META if isinstance(source, HttpRequest) else source
    peer = environ.get("REMOTE_ADDR", "")
    if not settings.TRUSTED_PROXIES:
        return peer
    forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
    return _resolve(peer, forwarded, "" if forwarded else environ.get("HTTP_X_REAL_IP", ""))


def _resolve(peer: str, forwarded: str, real: str) -> str:
    if not _trusted(peer):
        return peer
    if forwarded:
        nearest = peer
        for hop in reversed(forwarded.split(",")):
            address = _parse(hop)
            if address is None:
                # Not an address: a client wrote it, so the nearest proxy is all we know.
                return nearest
            nearest = str(address)
            if not _trusted(nearest):
                return nearest
        return nearest
    address = _parse(real)
    return str(address) if address is not None else peer


def _trusted(address: str) -> bool:
    parsed = _parse(address)
    return parsed is not None and any(parsed in net for net in settings.TRUSTED_PROXIES)


def _parse(text: str) -> Address | None:
    """An address as proxies write it: ``1.2.3.4``, ``1.2.3.4:5678``, ``::1`` or ``[::1]:80``."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
