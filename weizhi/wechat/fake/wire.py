"""What the fake's endpoints share with the fake itself: a request as the endpoints see it,
the refusal they raise to answer with an error code, and reading a request from WSGI."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from .core import FakeWeChat


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    json: Any = None
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict:
        return self.json if isinstance(self.json, dict) else {}


class Refusal(Exception):
    """An endpoint's way to answer with a WeChat error code."""

    def __init__(self, errcode: int, errmsg: str, **extra: Any) -> None:
        self.errcode = errcode
        self.errmsg = errmsg
        self.extra = extra
        super().__init__(f"{errcode} {errmsg}")


Handler = Callable[["FakeWeChat", Request], dict]


def request_from_wsgi(environ: dict) -> Request | None:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    request = Request(
        method=environ["REQUEST_METHOD"],
        path=environ.get("PATH_INFO") or "/",
        query=dict(parse_qsl(environ.get("QUERY_STRING", ""))),
    )
    content_type = environ.get("CONTENT_TYPE", "")
    if content_type.startswith("multipart/form-data"):
        request.files, request.form = parse_multipart(content_type, raw)
    elif raw:
        try:
            request.json = json.loads(raw)
        except ValueError:
            return None
    return request


def parse_multipart(
    content_type: str, raw: bytes
) -> tuple[dict[str, tuple[str, bytes, str]], dict[str, str]]:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
    )
    files: dict[str, tuple[str, bytes, str]] = {}
    form: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition") or ""
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            files[str(name)] = (filename, data, part.get_content_type())
        else:
            form[str(name)] = data.decode()
    return files, form
