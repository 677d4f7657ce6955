"""获取临时素材: a follower's voice message (or picture) by its MediaId, within the three days
WeChat keeps it. The answer is the file itself, or JSON naming an error; the token is
refreshed once when WeChat rejects it, as the JSON calls do."""

from __future__ import annotations

import json
import logging

import httpx

from .client import WeChatClient, default_client
from .errors import NETWORK_ERROR, TOKEN_INVALID, WeChatAPIError

log = logging.getLogger(__name__)
PATH = "/cgi-bin/media/get"
MAX_BYTES = 10 * 1024 * 1024  # WeChat's own limit for temporary media


def _error_in(response: httpx.Response) -> dict | None:
    """WeChat answers an error as JSON, under text/plain or application/json."""
    kind = response.headers.get("Content-Type", "")
    if not (kind.startswith(("text/", "application/json")) or response.content[:1] == b"{"):
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    return body if isinstance(body, dict) and "errcode" in body else None


def get_media(media_id: str, *, client: WeChatClient | None = None) -> tuple[bytes, str]:
    """The media's bytes and Content-Type; WeChatAPIError when WeChat refuses."""
    client = client or default_client()
    token = client.tokens.access_token(client)
    refreshed = False
    while True:
        try:
            response = client.http.get(
                client.account.api_base + PATH,
                params={"access_token": token, "media_id": media_id},
                timeout=client.upload_timeout,
            )
        except httpx.TransportError as exc:
            raise WeChatAPIError(NETWORK_ERROR, type(exc).__name__, PATH) from exc
        error = _error_in(response)
        if error is None:
            if len(response.content) > MAX_BYTES:
                raise WeChatAPIError(NETWORK_ERROR, "media larger than WeChat allows", PATH)
            log.info("wechat api GET %s media=%s bytes=%d", PATH, media_id, len(response.content))
            return response.content, response.headers.get("Content-Type", "")
        errcode = int(error.get("errcode") or 0)
        if errcode in TOKEN_INVALID and not refreshed:
            refreshed = True
            token = client.tokens.refresh_access_token(client, stale=token)
            continue
        raise WeChatAPIError(errcode, str(error.get("errmsg", "")), PATH, error)
