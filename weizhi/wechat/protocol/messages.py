"""Inbound messages and events as frozen dataclasses.

Every message keeps all of its raw fields; known types also get typed attributes. A type we
do not know parses into the generic Message or Event, so nothing a follower sends is dropped.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import BadMessage
from .parsing import DEFAULT_MAX_BODY_BYTES, FieldValue, parse_fields

# CreateTime is a Unix time in seconds that WeChat writes as an unsigned 32-bit number; one
# outside it cannot be turned into a date, and would fail the message after it was decoded.
MAX_CREATE_TIME = 2**32 - 1
# Every other number WeChat sends fits in 32 bits; a larger one would overflow an integer
# column after its message was stored.
MAX_NUMBER = 2**31 - 1


@dataclass(frozen=True, kw_only=True)
class Message:
    to_user: str
    from_user: str
    create_time: int
    msg_type: str
    msg_id: str | None = None
    fields: dict[str, FieldValue] = field(default_factory=dict, repr=False, hash=False)

    def dedup_key(self) -> str:
        """WeChat retries a callback up to three times; this key spots the repeats."""
        if self.msg_id:
            return self.msg_id
        return f"{self.from_user}|{self.create_time}|{self.msg_type}"


@dataclass(frozen=True, kw_only=True)
class TextMessage(Message):
    content: str


@dataclass(frozen=True, kw_only=True)
class ImageMessage(Message):
    pic_url: str
    media_id: str


@dataclass(frozen=True, kw_only=True)
class VoiceMessage(Message):
    media_id: str
    format: str
    recognition: str | None = None  # present when speech recognition is switched on


@dataclass(frozen=True, kw_only=True)
class VideoMessage(Message):
    media_id: str
    thumb_media_id: str


@dataclass(frozen=True, kw_only=True)
class ShortVideoMessage(VideoMessage):
    pass


@dataclass(frozen=True, kw_only=True)
class LocationMessage(Message):
    latitude: float  # Location_X
    longitude: float  # Location_Y
    scale: int | None
    label: str


@dataclass(frozen=True, kw_only=True)
class LinkMessage(Message):
    title: str
    description: str
    url: str


@dataclass(frozen=True, kw_only=True)
class Event(Message):
    event: str
    event_key: str | None = None

    def dedup_key(self) -> str:
        return f"{self.from_user}|{self.create_time}|{self.event}|{self.event_key or ''}"


@dataclass(frozen=True, kw_only=True)
class SubscribeEvent(Event):
    ticket: str | None = None

    @property
    def scene(self) -> str | None:
        """The scene value of the QR code scanned to follow us, if any."""
        if self.event_key and self.event_key.startswith("qrscene_"):
            return self.event_key.removeprefix("qrscene_")
        return None


@dataclass(frozen=True, kw_only=True)
class UnsubscribeEvent(Event):
    pass


@dataclass(frozen=True, kw_only=True)
class ScanEvent(Event):
    ticket: str | None = None

    @property
    def scene(self) -> str | None:
        return self.event_key


@dataclass(frozen=True, kw_only=True)
class LocationEvent(Event):
    latitude: float
    longitude: float
    precision: float | None


@dataclass(frozen=True, kw_only=True)
class ClickEvent(Event):
    pass


@dataclass(frozen=True, kw_only=True)
class ViewEvent(Event):
    menu_id: str | None = None

    @property
    def url(self) -> str:
        return self.event_key or ""


@dataclass(frozen=True, kw_only=True)
class TemplateSendJobFinishEvent(Event):
    status: str
    job_id: str | None  # MsgID, the id returned when the template message was sent


@dataclass(frozen=True, kw_only=True)
class MassSendJobFinishEvent(Event):
    status: str
    job_id: str | None  # MsgID, the id returned when the mass send was started
    total_count: int | None
    filter_count: int | None
    sent_count: int | None
    error_count: int | None


@dataclass(frozen=True)
class PublishedArticle:
    idx: int
    url: str


@dataclass(frozen=True, kw_only=True)
class PublishJobFinishEvent(Event):
    publish_id: str
    publish_status: int  # 0 success, 1 publishing, 2 original-content check failed, …
    article_id: str | None
    articles: tuple[PublishedArticle, ...] = ()
    fail_idx: tuple[int, ...] = ()


class _Reader:
    """Typed reads of raw fields, raising BadMessage with the field's name."""

    def __init__(self, fields: dict[str, Any], where: str = "") -> None:
        self.fields = fields
        self.where = where

    def text(self, name: str, default: str = "") -> str:
        value = self.optional(name)
        return default if value is None else value

    def optional(self, name: str) -> str | None:
        value = self.fields.get(name)
        if value is None or isinstance(value, str):
            return value
        raise BadMessage(f"field {self.where}{name} should be text, not repeated or nested")

    def required(self, name: str) -> str:
        value = self.optional(name)
        if value is None or not value.strip():
            raise BadMessage(f"required field {self.where}{name} is missing")
        return value

    def number(self, name: str, kind: type, *, required: bool = False) -> Any:
        value = self.required(name) if required else self.optional(name)
        if value is None or not value.strip():
            return None
        try:
            number = kind(value.strip())
        except ValueError:
            raise BadMessage(f"field {self.where}{name} is not a number: {value[:40]!r}") from None
        if not -MAX_NUMBER <= number <= MAX_NUMBER:  # NaN fails this too
            raise BadMessage(f"field {self.where}{name} is out of range: {value[:40]!r}")
        return number

    def unix_time(self, name: str) -> int:
        value = self.required(name).strip()
        digits = value.isascii() and value.isdigit() and len(value) <= len(str(MAX_CREATE_TIME))
        if not digits or int(value) > MAX_CREATE_TIME:
            raise BadMessage(
                f"field {self.where}{name} is not a Unix time from 0 to {MAX_CREATE_TIME}: "
                f"{value[:40]!r}"
            )
        return int(value)

    def section(self, name: str) -> "_Reader":
        value = self.fields.get(name) or {}
        if not isinstance(value, dict):
            raise BadMessage(f"field {self.where}{name} should hold sub-fields")
        return _Reader(value, f"{self.where}{name}/")

    def items(self, name: str) -> list[Any]:
        value = self.fields.get(name)
        if value is None or value == "":
            return []
        return value if isinstance(value, list) else [value]


def _published_articles(info: _Reader) -> tuple[PublishedArticle, ...]:
    detail = info.section("article_detail")
    articles = []
    for item in detail.items("item"):
        if not isinstance(item, dict):
            raise BadMessage("field PublishEventInfo/article_detail/item should hold sub-fields")
        reader = _Reader(item, "PublishEventInfo/article_detail/item/")
        articles.append(
            PublishedArticle(reader.number("idx", int, required=True), reader.text("article_url"))
        )
    return tuple(articles)


def _publish_job(r: _Reader) -> dict[str, Any]:
    info = r.section("PublishEventInfo")
    fail_idx = info.items("fail_idx")
    try:
        failed = tuple(int(str(idx).strip()) for idx in fail_idx)
    except ValueError:
        raise BadMessage("field PublishEventInfo/fail_idx is not a number") from None
    return {
        "publish_id": info.required("publish_id").strip(),
        "publish_status": info.number("publish_status", int, required=True),
        "article_id": info.optional("article_id"),
        "articles": _published_articles(info),
        "fail_idx": failed,
    }


_Builder = tuple[type[Message], Callable[[_Reader], dict[str, Any]]]

_MESSAGES: dict[str, _Builder] = {
    "text": (TextMessage, lambda r: {"content": r.text("Content")}),
    "image": (ImageMessage, lambda r: {"pic_url": r.text("PicUrl"), "media_id": r.text("MediaId")}),
    "voice": (
        VoiceMessage,
        lambda r: {
            "media_id": r.text("MediaId"),
            "format": r.text("Format"),
            "recognition": r.optional("Recognition"),
        },
    ),
    "video": (
        VideoMessage,
        lambda r: {"media_id": r.text("MediaId"), "thumb_media_id": r.text("ThumbMediaId")},
    ),
    "shortvideo": (
        ShortVideoMessage,
        lambda r: {"media_id": r.text("MediaId"), "thumb_media_id": r.text("ThumbMediaId")},
    ),
    "location": (
        LocationMessage,
        lambda r: {
            "latitude": r.number("Location_X", float, required=True),
            "longitude": r.number("Location_Y", float, required=True),
            "scale": r.number("Scale", int),
            "label": r.text("Label"),
        },
    ),
    "link": (
        LinkMessage,
        lambda r: {
            "title": r.text("Title"),
            "description": r.text("Description"),
            "url": r.text("Url"),
        },
    ),
}

# Keyed by the upper-cased Event value: WeChat writes "subscribe" but "SCAN".
_EVENTS: dict[str, _Builder] = {
    "SUBSCRIBE": (SubscribeEvent, lambda r: {"ticket": r.optional("Ticket")}),
    "UNSUBSCRIBE": (UnsubscribeEvent, lambda r: {}),
    "SCAN": (ScanEvent, lambda r: {"ticket": r.optional("Ticket")}),
    "LOCATION": (
        LocationEvent,
        lambda r: {
            "latitude": r.number("Latitude", float, required=True),
            "longitude": r.number("Longitude", float, required=True),
            "precision": r.number("Precision", float),
        },
    ),
    "CLICK": (ClickEvent, lambda r: {}),
    "VIEW": (ViewEvent, lambda r: {"menu_id": r.optional("MenuId")}),
    "TEMPLATESENDJOBFINISH": (
        TemplateSendJobFinishEvent,
        lambda r: {"status": r.text("Status"), "job_id": r.optional("MsgID")},
    ),
    "MASSSENDJOBFINISH": (
        MassSendJobFinishEvent,
        lambda r: {
            "status": r.text("Status"),
            "job_id": r.optional("MsgID"),
            "total_count": r.number("TotalCount", int),
            "filter_count": r.number("FilterCount", int),
            "sent_count": r.number("SentCount", int),
            "error_count": r.number("ErrorCount", int),
        },
    ),
    "PUBLISHJOBFINISH": (PublishJobFinishEvent, _publish_job),
}


def message_from_fields(fields: dict[str, FieldValue]) -> Message:
    r = _Reader(fields)
    common: dict[str, Any] = {
        "to_user": r.required("ToUserName"),
        "from_user": r.required("FromUserName"),
        "create_time": r.unix_time("CreateTime"),
        "msg_type": r.required("MsgType").strip(),
        "msg_id": (r.optional("MsgId") or "").strip() or None,
        "fields": fields,
    }
    if common["msg_type"].lower() == "event":
        event = r.required("Event").strip()
        cls, extract = _EVENTS.get(event.upper(), (Event, lambda r: {}))
        common |= {"event": event, "event_key": r.optional("EventKey") or None}
    else:
        cls, extract = _MESSAGES.get(common["msg_type"].lower(), (Message, lambda r: {}))
    return cls(**common, **extract(r))


def parse_message(body: bytes | str, *, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> Message:
    return message_from_fields(parse_fields(body, max_bytes=max_bytes))
