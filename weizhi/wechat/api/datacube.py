"""WeChat's own statistics (数据统计, the ``/datacube/`` interfaces): users, article reads and
shares, messages.

Every interface takes {"begin_date", "end_date"} (YYYY-MM-DD, end_date at most yesterday)
and answers {"list": [...]}; each has a maximum span in days (SPANS), so a longer range is
asked in consecutive windows and the lists joined. The calls only read, so a network failure
is retried like a GET. Errors arrive as WeChatAPIError with an operator_message.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from .client import WeChatClient, default_client

# Days per call, as each interface's documentation states (最大时间跨度).
SPANS: dict[str, int] = {
    "getusersummary": 7,
    "getusercumulate": 7,
    "getarticlesummary": 1,
    "getuserread": 3,
    "getusershare": 7,
    "getupstreammsg": 7,
}
# getuserread's user_source for every channel together (全部); the others are channels.
ALL_SOURCES = 99999999


@dataclass(frozen=True)
class UserSummary:
    """Followers gained and lost on a day through one channel (user_source)."""

    day: date
    source: int
    new_user: int
    cancel_user: int


@dataclass(frozen=True)
class UserCumulate:
    day: date
    cumulate_user: int


@dataclass(frozen=True)
class Reads:
    """Reads, shares and favourites: of one article (key: its msgid) from getarticlesummary,
    or of all articles through one channel (key: user_source) from getuserread."""

    day: date
    key: str
    title: str
    read_user: int
    read_count: int
    original_read_user: int
    original_read_count: int
    share_user: int
    share_count: int
    fav_user: int
    fav_count: int


@dataclass(frozen=True)
class UserShare:
    day: date
    scene: int  # 1 好友转发, 2 朋友圈, 255 其他
    share_user: int
    share_count: int


@dataclass(frozen=True)
class UpstreamMsg:
    day: date
    msg_type: int  # 1 文字, 2 图片, 3 语音, 4 视频, 6 第三方应用消息
    msg_user: int
    msg_count: int


def windows(begin: date, end: date, span: int) -> list[tuple[date, date]]:
    """[begin, end] cut into consecutive windows of at most `span` days."""
    if begin > end:
        raise ValueError(f"begin {begin} is after end {end}")
    out = []
    while begin <= end:
        last = min(begin + timedelta(days=span - 1), end)
        out.append((begin, last))
        begin = last + timedelta(days=1)
    return out


def fetch(
    interface: str, begin: date, end: date, *, client: WeChatClient | None = None
) -> list[dict[str, Any]]:
    """Every entry of `interface` from begin to end (inclusive), window by window."""
    client = client or default_client()
    entries: list[dict[str, Any]] = []
    for a, b in windows(begin, end, SPANS[interface]):
        body = client.call(
            "POST",
            f"/datacube/{interface}",
            json={"begin_date": a.isoformat(), "end_date": b.isoformat()},
            idempotent=True,
        )
        entries += [e for e in body.get("list") or [] if isinstance(e, dict)]
    return entries


def _int(entry: dict, name: str) -> int:
    try:
        return int(entry.get(name) or 0)
    except (TypeError, ValueError):
        return 0


def _day(entry: dict) -> date:
    return date.fromisoformat(str(entry.get("ref_date", ""))[:10])


def user_summary(begin: date, end: date, *, client: WeChatClient | None = None) -> list:
    return [
        UserSummary(_day(e), _int(e, "user_source"), _int(e, "new_user"), _int(e, "cancel_user"))
        for e in fetch("getusersummary", begin, end, client=client)
    ]


def user_cumulate(begin: date, end: date, *, client: WeChatClient | None = None) -> list:
    return [
        UserCumulate(_day(e), _int(e, "cumulate_user"))
        for e in fetch("getusercumulate", begin, end, client=client)
    ]


def _reads(e: dict, key: str) -> Reads:
    return Reads(
        day=_day(e),
        key=key,
        title=str(e.get("title") or "")[:200],
        read_user=_int(e, "int_page_read_user"),
        read_count=_int(e, "int_page_read_count"),
        original_read_user=_int(e, "ori_page_read_user"),
        original_read_count=_int(e, "ori_page_read_count"),
        share_user=_int(e, "share_user"),
        share_count=_int(e, "share_count"),
        fav_user=_int(e, "add_to_fav_user"),
        fav_count=_int(e, "add_to_fav_count"),
    )


def article_summary(begin: date, end: date, *, client: WeChatClient | None = None) -> list:
    """Per article and day. msgid is "<msg_data_id>_<index>": the mass send or publish that
    carried it and its place in that message, counted from 1."""
    return [
        _reads(e, str(e.get("msgid") or ""))
        for e in fetch("getarticlesummary", begin, end, client=client)
    ]


def user_read(begin: date, end: date, *, client: WeChatClient | None = None) -> list:
    """Per day and channel (key: user_source; ALL_SOURCES is every channel together)."""
    return [
        _reads(e, str(e.get("user_source", ALL_SOURCES)))
        for e in fetch("getuserread", begin, end, client=client)
    ]


def user_share(begin: date, end: date, *, client: WeChatClient | None = None) -> list:
    return [
        UserShare(_day(e), _int(e, "share_scene"), _int(e, "share_user"), _int(e, "share_count"))
        for e in fetch("getusershare", begin, end, client=client)
    ]


def upstream_msg(begin: date, end: date, *, client: WeChatClient | None = None) -> list:
    return [
        UpstreamMsg(_day(e), _int(e, "msg_type"), _int(e, "msg_user"), _int(e, "msg_count"))
        for e in fetch("getupstreammsg", begin, end, client=client)
    ]
