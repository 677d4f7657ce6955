"""The WeChat calls the rest of weizhi makes: menu, customer-service messages, media.

Each takes an optional client (tests pass one pointed at the fake); without it, the client of
the account in force now. Errors arrive as WeChatAPIError with an operator_message.
"""

import mimetypes
from typing import Any

from .client import WeChatClient, default_client
from .errors import WeChatAPIError

MATERIAL_KINDS = ("image", "voice", "video", "thumb")


def _client(client: WeChatClient | None) -> WeChatClient:
    return client or default_client()


def create_menu(buttons: list[dict], *, client: WeChatClient | None = None) -> None:
    """Replace the Official Account's custom menu (WeChat checks the limits; see fake/menu.py)."""
    # Creating the same menu twice is harmless, so network failures may be retried.
    _client(client).post("/cgi-bin/menu/create", {"button": buttons}, idempotent=True)


def get_menu(*, client: WeChatClient | None = None) -> list[dict]:
    """The menu's buttons as WeChat holds them; [] when the account has no menu."""
    try:
        body = _client(client).get("/cgi-bin/menu/get")
    except WeChatAPIError as exc:
        if exc.errcode == 46003:
            return []
        raise
    return list((body.get("menu") or {}).get("button") or [])


def delete_menu(*, client: WeChatClient | None = None) -> None:
    _client(client).get("/cgi-bin/menu/delete")


def text_message(content: str) -> dict[str, Any]:
    return {"msgtype": "text", "text": {"content": content}}


def news_message(title: str, description: str, url: str, picurl: str = "") -> dict[str, Any]:
    """One link card (WeChat allows a single article in a customer-service news message)."""
    article = {"title": title, "description": description, "url": url, "picurl": picurl}
    return {"msgtype": "news", "news": {"articles": [article]}}


def send_custom_message(
    openid: str, payload: dict[str, Any], *, client: WeChatClient | None = None
) -> None:
    """Send a customer-service message (within 48 hours of the follower's last message).

    Not retried on network errors: WeChat may have delivered it, and a follower should never
    get the same answer twice.
    """
    _client(client).post("/cgi-bin/message/custom/send", {"touser": openid, **payload})


def _file(filename: str, data: bytes) -> dict[str, tuple[str, bytes, str]]:
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return {"media": (filename, data, content_type)}


def add_material(
    kind: str, filename: str, data: bytes, *, client: WeChatClient | None = None
) -> str:
    """Upload permanent material (a cover is kind "image") and return its media_id."""
    if kind not in MATERIAL_KINDS:
        raise ValueError(f"kind must be one of {MATERIAL_KINDS}, not {kind!r}")
    body = _client(client).call(
        "POST",
        "/cgi-bin/material/add_material",
        params={"type": kind},
        files=_file(filename, data),
        idempotent=True,  # a duplicate upload leaves a spare copy, never a wrong result
    )
    return str(body["media_id"])


def upload_image(filename: str, data: bytes, *, client: WeChatClient | None = None) -> str:
    """Upload an image for use inside article HTML (jpg/png, under 1 MB); returns its URL."""
    body = _client(client).call(
        "POST", "/cgi-bin/media/uploadimg", files=_file(filename, data), idempotent=True
    )
    return str(body["url"])
