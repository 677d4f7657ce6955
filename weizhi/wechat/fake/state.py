"""What the fake WeChat remembers between calls (in one process's memory)."""

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from .comments import FakeComment, Thread

STAR_TAG = 2  # WeChat's built-in 星标组 exists on every account


@dataclass
class FakeUser:
    openid: str
    subscribe_time: int = field(default_factory=lambda: int(time.time()))
    remark: str = ""
    language: str = "zh_CN"
    subscribe_scene: str = "ADD_SCENE_SEARCH"
    unionid: str = ""
    tag_ids: list[int] = field(default_factory=list)

    def info(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "subscribe": 1,
            "openid": self.openid,
            "language": self.language,
            "subscribe_time": self.subscribe_time,
            "remark": self.remark,
            "groupid": 0,
            "tagid_list": list(self.tag_ids),
            "subscribe_scene": self.subscribe_scene,
            "qr_scene": 0,
            "qr_scene_str": "",
        }
        if self.unionid:
            info["unionid"] = self.unionid
        return info


@dataclass
class State:
    menu: dict | None = None
    # media_id -> {"type", "filename", "data", "url"}; permanent material and drafts share ids
    material: dict[str, dict] = field(default_factory=dict)
    uploaded_images: dict[str, bytes] = field(default_factory=dict)  # url -> bytes
    # media_id -> (bytes, content type): temporary media, e.g. a follower's voice message
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    drafts: dict[str, list[dict]] = field(default_factory=dict)
    sent_drafts: set[str] = field(default_factory=set)
    publishes: dict[str, dict] = field(default_factory=dict)
    published_articles: dict[str, list[dict]] = field(default_factory=dict)
    mass_sends: list[dict] = field(default_factory=list)
    mass_by_client_id: dict[str, dict] = field(default_factory=dict)
    previews: list[dict] = field(default_factory=list)
    custom_messages: list[dict] = field(default_factory=list)
    # openid -> template ids the follower subscribed to (订阅通知), and what was sent
    subscriptions: dict[str, set[str]] = field(default_factory=dict)
    subscribe_messages: list[dict] = field(default_factory=list)
    users: dict[str, FakeUser] = field(default_factory=dict)
    tags: dict[int, str] = field(default_factory=lambda: {STAR_TAG: "星标组"})
    oauth_codes: dict[str, str] = field(default_factory=dict)  # code -> openid
    used_codes: set[str] = field(default_factory=set)
    ids: Any = field(default_factory=lambda: itertools.count(100000001))
    # (msg_data_id, index) -> comments.Thread; and whether the account may manage comments
    comment_threads: dict[tuple[str, int], Any] = field(default_factory=dict)
    comment_privilege: bool = True
    # What the statistics (datacube) are computed from, besides users: followers who left
    # (with when), messages followers sent (openid, unix time, datacube msg_type), and the
    # articles of every mass send and publish (msg_data_id, unix time, titles).
    unfollowed: list[tuple[FakeUser, int]] = field(default_factory=list)
    upstream: list[tuple[str, int, int]] = field(default_factory=list)
    articles_sent: list[dict] = field(default_factory=list)
    # Days WeChat has not computed yet (its numbers are sometimes late after 08:00): every
    # datacube interface answers without them, as WeChat answers with an empty list.
    datacube_late: set = field(default_factory=set)

    def next_id(self) -> int:
        return next(self.ids)

    def add_user(self, openid: str, **fields: Any) -> FakeUser:
        user = FakeUser(openid=openid, **fields)
        self.users[openid] = user
        return user

    def unfollow(self, openid: str, at: int | None = None) -> None:
        """As the follower tapping 不再关注: gone from the users, counted as a cancel."""
        user = self.users.pop(openid)
        self.unfollowed.append((user, int(time.time()) if at is None else at))

    def receive(self, openid: str, msg_type: int = 1, at: int | None = None) -> None:
        """A message the follower sent the account (1 text, 2 image, 3 voice, 4 video)."""
        self.upstream.append((openid, int(time.time()) if at is None else at, msg_type))

    def record_articles(self, msg_data_id: str, articles: list[dict], at: int) -> None:
        titles = [str((a or {}).get("title") or "") for a in articles]
        self.articles_sent.append({"msg_data_id": str(msg_data_id), "at": at, "titles": titles})

    def subscribe(self, openid: str, template_id: str) -> None:
        """As the follower tapping 允许 on the account's subscription button."""
        self.subscriptions.setdefault(openid, set()).add(template_id)

    def oauth_code(self, openid: str) -> str:
        """What WeChat would append to the redirect after the follower opened the link."""
        code = f"code{self.next_id()}"
        self.oauth_codes[code] = openid
        return code

    def tag_count(self, tag_id: int) -> int:
        return sum(1 for user in self.users.values() if tag_id in user.tag_ids)

    def add_comment(
        self, msg_data_id: int | str, openid: str, content: str, *, index: int = 0, **fields: Any
    ) -> Any:
        """A follower's comment on an article, as if left in WeChat (the thread opens)."""
        thread = self.comment_threads.setdefault((str(msg_data_id), index), Thread(open=True))
        comment = FakeComment(self.next_id(), openid, content, **fields)
        thread.comments.append(comment)
        return comment
