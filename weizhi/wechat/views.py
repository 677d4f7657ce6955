"""The Official Account's callback URL: WeChat's GET check and every POSTed message.

WeChat reads only the body of our answer, so failures answer in plain text with a status
that says what happened (and a precise log line), never with an HTML error page.
"""

import logging

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import services
from .account import current_callback_config
from .protocol import (
    BodyTooLarge,
    DecryptionError,
    ProtocolError,
    SignatureMismatch,
    StaleTimestamp,
    decode_request,
    encode_reply,
    verify_url,
)

log = logging.getLogger(__name__)


def _plain(text: str, status: int = 200) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def _refusal(exc: ProtocolError) -> HttpResponse:
    if isinstance(exc, SignatureMismatch | StaleTimestamp | DecryptionError):
        log.warning("wechat callback refused: %s: %s", type(exc).__name__, exc)
        return _plain("forbidden", 403)
    if isinstance(exc, BodyTooLarge):
        log.warning("wechat callback refused: %s", exc)
        return _plain("too large", 413)
    log.warning("wechat callback rejected: %s: %s", type(exc).__name__, exc)
    return _plain("bad request", 400)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def callback(request: HttpRequest) -> HttpResponse:
    config = current_callback_config()
    params = request.GET.dict()
    if request.method == "GET":
        try:
            return _plain(verify_url(config, params))
        except ProtocolError as exc:
            return _refusal(exc)
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > config.max_body_bytes:
        return _refusal(BodyTooLarge(f"Content-Length {length} > {config.max_body_bytes}"))
    try:
        decoded = decode_request(config, params, request.body)
    except ProtocolError as exc:
        return _refusal(exc)
    try:
        reply = services.receive(decoded)
    except Exception:
        # WeChat retries a failed delivery; the message must not be lost by answering "ok".
        log.exception("wechat callback could not store or answer %s", decoded.message.dedup_key())
        return _plain("busy", 503)
    body = encode_reply(config, decoded, reply)
    content_type = "text/plain" if reply is None else "application/xml"
    return HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
