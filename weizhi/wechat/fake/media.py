"""获取临时素材 (GET /cgi-bin/media/get?access_token=…&media_id=…) as WeChat answers it: the
file itself with its Content-Type and a Content-disposition naming it, or, for a bad token or
an unknown media_id, the usual JSON error (40007 invalid media_id)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .wire import Request

if TYPE_CHECKING:
    from .core import FakeWeChat

MEDIA_GET = "/cgi-bin/media/get"
EXTENSIONS = {"audio/amr": "amr", "audio/mpeg": "mp3", "audio/wav": "wav", "audio/ogg": "ogg"}


def _json(answer: dict) -> tuple[str, list[tuple[str, str]], bytes]:
    body = json.dumps(answer, ensure_ascii=False).encode()
    return "200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))], body


def media_get(fake: FakeWeChat, request: Request) -> tuple[str, list[tuple[str, str]], bytes]:
    with fake.lock:
        fake.calls.append((request.method, request.path))
        failure = fake._pop(fake._failures, request.path)
    if failure:
        return _json({"errcode": failure[0], "errmsg": failure[1]})
    if request.method != "GET":
        return _json({"errcode": 43001, "errmsg": "require GET"})
    errcode = fake.check_token(request.query.get("access_token", ""))
    if errcode:
        return _json({"errcode": errcode, "errmsg": "invalid credential"})
    media_id = request.query.get("media_id", "")
    with fake.lock:
        found = fake.state.media.get(media_id)
    if found is None:
        return _json({"errcode": 40007, "errmsg": "invalid media_id"})
    data, content_type = found
    name = f"{media_id}.{EXTENSIONS.get(content_type, 'bin')}"
    return (
        "200 OK",
        [
            ("Content-Type", content_type),
            ("Content-disposition", f'attachment; filename="{name}"'),
            ("Content-Length", str(len(data))),
        ],
        data,
    )
