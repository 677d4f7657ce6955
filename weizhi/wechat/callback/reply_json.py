"""A reply as stored with its message (InboundMessage.reply, late_reply): a dict for JSON."""

import dataclasses

from weizhi.wechat.protocol import (
    ImageReply,
    MusicReply,
    NewsReply,
    Reply,
    TextReply,
    VideoReply,
    VoiceReply,
)
from weizhi.wechat.protocol.replies import Article

REPLY_TYPES: dict[str, type] = {
    "text": TextReply,
    "image": ImageReply,
    "voice": VoiceReply,
    "video": VideoReply,
    "music": MusicReply,
    "news": NewsReply,
}


def reply_to_json(reply: Reply | None) -> dict | None:
    if reply is None:
        return None
    kind = next(k for k, cls in REPLY_TYPES.items() if isinstance(reply, cls))
    return {"type": kind, **dataclasses.asdict(reply)}


def reply_from_json(data: dict | None) -> Reply | None:
    if not data:
        return None
    fields = {k: v for k, v in data.items() if k != "type"}
    if data["type"] == "news":
        fields["articles"] = tuple(Article(**a) for a in fields["articles"])
    return REPLY_TYPES[data["type"]](**fields)
