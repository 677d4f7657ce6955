"""Uploads: permanent material (covers, reply pictures) and pictures inside article HTML.

Each takes an optional client; without it, the client of the account in force now.
"""

import mimetypes

from .client import WeChatClient, default_client

MATERIAL_KINDS = ("image", "voice", "video", "thumb")


def _client(client: WeChatClient | None) -> WeChatClient:
    return client or default_client()


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
