"""The fake's comment endpoints (图文消息留言管理): comment/open, close, list, markelect,
unmarkelect, delete, reply/add and reply/delete, with WeChat's shapes and error codes.

A thread is one article of a send, keyed by (msg_data_id, index). Threads exist for the
msg_data_ids the fake's mass sends and successful publishes (freepublish/submit) returned,
and for any that State.add_comment seeded.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .wire import Handler, Refusal, Request

if TYPE_CHECKING:
    from .core import FakeWeChat

OK = {"errcode": 0, "errmsg": "ok"}
LIST_MAX = 50  # "count range error. cout <= 0 or count > 50"
# WeChat documents no number for 88007 ("reply content beyond max len"); the fake's stand-in.
REPLY_MAX_CHARS = 1000
COMMENT_ERRMSG = {
    88000: "without comment privilege",
    88001: "msg_data is not exists",
    88002: "the article is limit for safety",
    88003: "elected comment upper limit",
    88004: "comment was deleted by user",
    88005: "already reply",
    88007: "reply content beyond max len or content len is zero",
    88008: "comment is not exists",
    87009: "reply is not exists",
    88010: "count range error. cout <= 0 or count > 50",
}


@dataclass
class FakeComment:
    user_comment_id: int
    openid: str
    content: str
    create_time: int = field(default_factory=lambda: int(time.time()))
    elected: bool = False
    reply: dict | None = None  # {"content", "create_time"}
    deleted: bool = False  # by the account (comment/delete)
    deleted_by_user: bool = False  # the reader took it back: cannot be elected (88004)

    def listed(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "user_comment_id": self.user_comment_id,
            "openid": self.openid,
            "create_time": self.create_time,
            "content": self.content,
            "comment_type": 1 if self.elected else 0,
        }
        if self.reply:
            item["reply"] = dict(self.reply)
        return item


@dataclass
class Thread:
    open: bool = False
    comments: list[FakeComment] = field(default_factory=list)


def refuse(errcode: int) -> Refusal:
    return Refusal(errcode, COMMENT_ERRMSG[errcode])


def _id(value: Any) -> str:
    try:
        return str(int(value))
    except (TypeError, ValueError):
        return str(value or "")


def _thread(fake: FakeWeChat, body: dict) -> Thread:
    if not fake.state.comment_privilege:
        raise refuse(88000)
    key = (_id(body.get("msg_data_id")), int(body.get("index") or 0))
    thread = fake.state.comment_threads.get(key)
    if thread is None and key[1] == 0 and _sent(fake, key[0]):
        thread = fake.state.comment_threads[key] = Thread()
    if thread is None:
        raise refuse(88001)
    return thread


def _sent(fake: FakeWeChat, msg_data_id: str) -> bool:
    if any(_id(send["msg_data_id"]) == msg_data_id for send in fake.state.mass_sends):
        return True
    return any(
        _id(job["msg_data_id"]) == msg_data_id and job["publish_status"] == 0
        for job in fake.state.publishes.values()
    )


def _comment(fake: FakeWeChat, body: dict) -> FakeComment:
    thread = _thread(fake, body)
    wanted = _id(body.get("user_comment_id"))
    for comment in thread.comments:
        if str(comment.user_comment_id) == wanted and not comment.deleted:
            return comment
    raise refuse(88008)


def comment_open(fake: FakeWeChat, request: Request) -> dict:
    _thread(fake, request.body()).open = True
    return OK


def comment_close(fake: FakeWeChat, request: Request) -> dict:
    _thread(fake, request.body()).open = False
    return OK


def comment_list(fake: FakeWeChat, request: Request) -> dict:
    body = request.body()
    thread = _thread(fake, body)
    count, begin, kind = (int(body.get(k) or 0) for k in ("count", "begin", "type"))
    if not 0 < count <= LIST_MAX:
        raise refuse(88010)
    shown = [c for c in thread.comments if not c.deleted and not c.deleted_by_user]
    if kind == 1:
        shown = [c for c in shown if not c.elected]
    elif kind == 2:
        shown = [c for c in shown if c.elected]
    page = shown[max(begin, 0) : max(begin, 0) + count]
    return {**OK, "total": len(shown), "comment": [c.listed() for c in page]}


def comment_markelect(fake: FakeWeChat, request: Request) -> dict:
    comment = _comment(fake, request.body())
    if comment.deleted_by_user:
        raise refuse(88004)
    comment.elected = True
    return OK


def comment_unmarkelect(fake: FakeWeChat, request: Request) -> dict:
    _comment(fake, request.body()).elected = False
    return OK


def comment_delete(fake: FakeWeChat, request: Request) -> dict:
    _comment(fake, request.body()).deleted = True
    return OK


def reply_add(fake: FakeWeChat, request: Request) -> dict:
    body = request.body()
    comment = _comment(fake, body)
    if comment.reply:
        raise refuse(88005)
    content = str(body.get("content") or "")
    if not content.strip() or len(content) > REPLY_MAX_CHARS:
        raise refuse(88007)
    comment.reply = {"content": content, "create_time": int(fake.clock())}
    return OK


def reply_delete(fake: FakeWeChat, request: Request) -> dict:
    comment = _comment(fake, request.body())
    if not comment.reply:
        raise refuse(87009)  # sic: WeChat's table gives 87009, not 88009
    comment.reply = None
    return OK


COMMENT_ROUTES: dict[str, tuple[str, Handler]] = {
    "/cgi-bin/comment/open": ("POST", comment_open),
    "/cgi-bin/comment/close": ("POST", comment_close),
    "/cgi-bin/comment/list": ("POST", comment_list),
    "/cgi-bin/comment/markelect": ("POST", comment_markelect),
    "/cgi-bin/comment/unmarkelect": ("POST", comment_unmarkelect),
    "/cgi-bin/comment/delete": ("POST", comment_delete),
    "/cgi-bin/comment/reply/add": ("POST", reply_add),
    "/cgi-bin/comment/reply/delete": ("POST", reply_delete),
}
