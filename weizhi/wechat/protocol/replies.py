"""Passive replies: the XML we return in the HTTP response to a callback.

A reply value carries only what it says; `render_reply` adds the addresses, swapped from the
inbound message, and the time. Text goes into CDATA sections, made safe for any string.
"""

import re
import time
from dataclasses import dataclass

from .errors import InvalidReply
from .messages import Message

MAX_NEWS_ARTICLES = 8

# Characters outside XML 1.0's Char production: C0 controls except tab, LF, CR; lone
# surrogates; U+FFFE and U+FFFF.
_ILLEGAL_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean_text(text: str) -> str:
    return _ILLEGAL_XML_CHARS.sub("", text)


def cdata(text: str) -> str:
    """A CDATA section for any text; "]]>" is split across two sections, since it would
    otherwise end the first one early."""
    return "<![CDATA[" + clean_text(text).replace("]]>", "]]]]><![CDATA[>") + "]]>"


@dataclass(frozen=True)
class TextReply:
    content: str


@dataclass(frozen=True)
class ImageReply:
    media_id: str


@dataclass(frozen=True)
class VoiceReply:
    media_id: str


@dataclass(frozen=True)
class VideoReply:
    media_id: str
    title: str = ""
    description: str = ""


@dataclass(frozen=True)
class MusicReply:
    thumb_media_id: str
    title: str = ""
    description: str = ""
    music_url: str = ""
    hq_music_url: str = ""


@dataclass(frozen=True)
class Article:
    title: str
    description: str = ""
    pic_url: str = ""
    url: str = ""


@dataclass(frozen=True)
class NewsReply:
    """WeChat now shows only one article in a passive news reply; up to 8 are still accepted."""

    articles: tuple[Article, ...]


Reply = TextReply | ImageReply | VoiceReply | VideoReply | MusicReply | NewsReply


def _elements(pairs: list[tuple[str, str]]) -> str:
    return "".join(f"<{tag}>{cdata(value)}</{tag}>" for tag, value in pairs)


def _media(tag: str, media_id: str) -> str:
    if not media_id:
        raise InvalidReply(f"a {tag.lower()} reply needs a MediaId")
    return f"<{tag}>{_elements([('MediaId', media_id)])}</{tag}>"


def _news(articles: tuple[Article, ...]) -> str:
    if not 1 <= len(articles) <= MAX_NEWS_ARTICLES:
        raise InvalidReply(
            f"a news reply needs 1 to {MAX_NEWS_ARTICLES} articles, not {len(articles)}"
        )
    items = "".join(
        "<item>"
        + _elements(
            [
                ("Title", a.title),
                ("Description", a.description),
                ("PicUrl", a.pic_url),
                ("Url", a.url),
            ]
        )
        + "</item>"
        for a in articles
    )
    return f"<ArticleCount>{len(articles)}</ArticleCount><Articles>{items}</Articles>"


def _body(reply: Reply) -> tuple[str, str]:
    """(MsgType, the XML that follows it) for one reply."""
    match reply:
        case TextReply(content=content):
            return "text", _elements([("Content", content)])
        case ImageReply(media_id=media_id):
            return "image", _media("Image", media_id)
        case VoiceReply(media_id=media_id):
            return "voice", _media("Voice", media_id)
        case VideoReply():
            if not reply.media_id:
                raise InvalidReply("a video reply needs a MediaId")
            inner = _elements(
                [
                    ("MediaId", reply.media_id),
                    ("Title", reply.title),
                    ("Description", reply.description),
                ]
            )
            return "video", f"<Video>{inner}</Video>"
        case MusicReply():
            if not reply.thumb_media_id:
                raise InvalidReply("a music reply needs a ThumbMediaId")
            inner = _elements(
                [
                    ("Title", reply.title),
                    ("Description", reply.description),
                    ("MusicUrl", reply.music_url),
                    ("HQMusicUrl", reply.hq_music_url),
                    ("ThumbMediaId", reply.thumb_media_id),
                ]
            )
            return "music", f"<Music>{inner}</Music>"
        case NewsReply(articles=articles):
            return "news", _news(tuple(articles))
    raise InvalidReply(f"unknown reply type {type(reply).__name__}")


def render_reply(reply: Reply, *, to_user: str, from_user: str, create_time: int) -> str:
    msg_type, body = _body(reply)
    return (
        f"<xml>{_elements([('ToUserName', to_user), ('FromUserName', from_user)])}"
        f"<CreateTime>{int(create_time)}</CreateTime>"
        f"{_elements([('MsgType', msg_type)])}{body}</xml>"
    )


def reply_to(message: Message, reply: Reply, *, create_time: int | None = None) -> str:
    """Render a reply to an inbound message: back to its sender, from the account it reached."""
    return render_reply(
        reply,
        to_user=message.from_user,
        from_user=message.to_user,
        create_time=int(time.time()) if create_time is None else create_time,
    )


def render_encrypted_envelope(encrypt: str, signature: str, timestamp: int, nonce: str) -> str:
    return (
        f"<xml>{_elements([('Encrypt', encrypt), ('MsgSignature', signature)])}"
        f"<TimeStamp>{int(timestamp)}</TimeStamp>{_elements([('Nonce', nonce)])}</xml>"
    )
