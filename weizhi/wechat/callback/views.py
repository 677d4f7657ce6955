"""The Official Account's callback URL: WeChat's GET check and every POSTed message.

WeChat reads only the body of our answer, so failures answer in plain text with a status
that says what happened (and a precise log line), never with an HTML error page.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from weizhi.wechat.account import current_callback_config
from weizhi.wechat.protocol import (
    BodyTooLarge,
    CallbackConfig,
    DecodedRequest,
    DecryptionError,
    ProtocolError,
    SignatureMismatch,
    StaleTimestamp,
    decode_request,
    encode_reply,
    verify_url,
)

from . import storage as services

log = logging.getLogger(__name__)


PLAIN = "text/plain; charset=utf-8"
XML = "application/xml; charset=utf-8"


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: str = PLAIN


def _refusal(exc: ProtocolError) -> Answer:
    if isinstance(exc, SignatureMismatch | StaleTimestamp | DecryptionError):
        log.warning("wechat callback refused: %s: %s", type(exc).__name__, exc)
        return Answer(403, "forbidden")
    if isinstance(exc, BodyTooLarge):
        log.warning("wechat callback refused: %s", exc)
        return Answer(413, "too large")
    log.warning("wechat callback rejected: %s: %s", type(exc).__name__, exc)
    return Answer(400, "bad request")


def answer_get(params: dict[str, str]) -> Answer:
    """WeChat's check of the URL when it is saved in the console."""
    try:
        return Answer(200, verify_url(current_callback_config(), params))
    except ProtocolError as exc:
        return _refusal(exc)


def content_length(raw: str | None) -> int | None:
    try:
        length = int(raw or 0)
    except ValueError:
        return None
    return length if length >= 0 else None


def _busy(decoded: DecodedRequest, error: BaseException) -> Answer:
    # WeChat retries a failed delivery; the message must not be lost by answering "ok".
    log.error(
        "wechat callback could not store or answer %s",
        decoded.message.dedup_key(),
        exc_info=error,
    )
    return Answer(503, "busy")


@dataclass(frozen=True)
class Received:
    """A message authenticated and routed, on its way to the database; `answer` once stored."""

    config: CallbackConfig
    decoded: DecodedRequest
    delivery: services.Delivery

    def answer(self, error: BaseException | None) -> Answer:
        """The answer once the delivery is stored, or once storing it raised `error`."""
        if error is not None:
            return _busy(self.decoded, error)
        reply = self.delivery.reply
        body = encode_reply(self.config, self.decoded, reply)
        return Answer(200, body, PLAIN if reply is None else XML)


def receive_post(
    params: dict[str, str], length: int | None, read_body: Callable[[], bytes]
) -> Answer | Received:
    """One delivered message, authenticated and routed: a refusal, or what is to be stored.
    The body is read only once its declared length is known to be within the cap."""
    config = current_callback_config()
    if length is None:
        return Answer(400, "bad request")
    if length > config.max_body_bytes:
        return _refusal(BodyTooLarge(f"Content-Length {length} > {config.max_body_bytes}"))
    try:
        decoded = decode_request(config, params, read_body())
    except ProtocolError as exc:
        return _refusal(exc)
    try:
        delivery = services.delivery_for(decoded)
    except Exception as exc:
        return _busy(decoded, exc)
    return Received(config, decoded, delivery)


def answer_post(
    params: dict[str, str], length: int | None, read_body: Callable[[], bytes]
) -> Answer:
    """One delivered message: authenticate, store, answer."""
    received = receive_post(params, length, read_body)
    if isinstance(received, Answer):
        return received
    try:
        services.store_now(received.delivery)
    except Exception as exc:
        return received.answer(exc)
    return received.answer(None)


def verify_file(request: HttpRequest, code: str) -> HttpResponse:
    """WeChat's domain check: MP_verify_<code>.txt holds its own code. Only the codes the
    operator configured are served, so nobody else can claim this domain for their account."""
    if code not in settings.WECHAT_VERIFY_CODES:
        raise Http404("unknown verify file")
    return HttpResponse(code, content_type=PLAIN)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def callback(request: HttpRequest) -> HttpResponse:
    params = request.GET.dict()
    if request.method == "GET":
        answer = answer_get(params)
    else:
        length = content_length(request.META.get("CONTENT_LENGTH"))
        answer = answer_post(params, length, lambda: request.body)
    return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
