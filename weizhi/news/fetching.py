"""One careful GET of another site's feed, page or picture.

Limits that hold whatever the other side does: a timeout on connecting and on each read, a
cap on the bytes read (counted as they arrive, whatever Content-Length says), at most
MAX_REDIRECTS redirects, http and https only, and no address on this machine or the private
network unless settings allow it (an editor's pasted link must not reach the intranet),
checked again at every redirect. Conditional GET: the ETag and Last-Modified of the last
answer go back as If-None-Match / If-Modified-Since, and a 304 is "nothing new".
"""

import ipaddress
import logging
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx
from django.conf import settings

log = logging.getLogger(__name__)

MAX_REDIRECTS = 3
REDIRECTS = {301, 302, 303, 307, 308}
USER_AGENT = "weizhi-news/1.0 (+feed reader of a party committee office)"


class FetchError(Exception):
    """`reason` is shown to editors, in Chinese; the message is for the log."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    status: int  # 200, or 304 (not modified: body empty)
    body: bytes
    content_type: str
    etag: str
    last_modified: str

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def _allowed_host(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError("只能读取 http 或 https 开头的网址", f"refused scheme: {url!r}")
    if settings.NEWS_ALLOW_PRIVATE_ADDRESSES:
        return
    site = urlsplit(settings.SITE_URL)
    if (parts.hostname, parts.port) == (site.hostname, site.port):
        return  # our own site (the demo feeds)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except OSError as error:
        raise FetchError("找不到这个网站", f"{parts.hostname}: {error}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise FetchError(
                "不能读取内部网络的地址", f"{parts.hostname} resolves to {address}, not global"
            )


def fetch(
    url: str,
    *,
    max_bytes: int,
    etag: str = "",
    last_modified: str = "",
    accept: str = "*/*",
    client: httpx.Client | None = None,
) -> Fetched:
    headers = {"User-Agent": USER_AGENT, "Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    own = client is None
    client = client or httpx.Client(timeout=httpx.Timeout(settings.NEWS_HTTP_TIMEOUT))
    try:
        for _ in range(MAX_REDIRECTS + 1):
            _allowed_host(url)
            fetched = _one(client, url, headers, max_bytes)
            if isinstance(fetched, Fetched):
                return fetched
            url = fetched
        raise FetchError("网址跳转次数过多", f"more than {MAX_REDIRECTS} redirects: {url}")
    finally:
        if own:
            client.close()


def _one(client: httpx.Client, url: str, headers: dict, max_bytes: int) -> Fetched | str:
    """The answer, or the next URL of a redirect."""
    try:
        with client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return Fetched(url, 304, b"", "", headers.get("If-None-Match", ""), "")
            if response.status_code in REDIRECTS and response.headers.get("Location"):
                return urljoin(url, response.headers["Location"])
            if response.status_code != 200:
                raise FetchError(
                    f"对方网站返回错误（{response.status_code}）",
                    f"{url}: HTTP {response.status_code}",
                )
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(
                    "内容太大，超过上限", f"{url}: Content-Length {declared} > {max_bytes}"
                )
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError("内容太大，超过上限", f"{url}: over {max_bytes} bytes")
                chunks.append(chunk)
            return Fetched(
                url=str(response.url),
                status=200,
                body=b"".join(chunks),
                content_type=response.headers.get("Content-Type", "").split(";")[0].strip(),
                etag=response.headers.get("ETag", "")[:200],
                last_modified=response.headers.get("Last-Modified", "")[:100],
            )
    except httpx.TimeoutException as error:
        raise FetchError("对方网站响应太慢", f"{url}: timeout {error!r}") from None
    except httpx.HTTPError as error:
        raise FetchError("连不上对方网站", f"{url}: {error!r}") from None
