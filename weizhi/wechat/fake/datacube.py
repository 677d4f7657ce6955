"""The fake's statistics endpoints (数据统计, /datacube/...), computed from its own state.

Followers it knows (with their subscribe_time and scene) and those who left give the user
growth; the articles of its mass sends and publishes give reads and shares; messages
followers sent (State.receive) give the message summary. Reads are plausible and
deterministic: a share of the followers at sending time, falling off over seven days,
scaled per article by a hash of its msgid. Days are China time, as WeChat's are.

Checks as WeChat documents them: dates YYYY-MM-DD (else 61500), begin not after end, the
span within the interface's maximum and the end before today (else 61501).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from .wire import Handler, Refusal, Request

if TYPE_CHECKING:
    from .core import FakeWeChat

CHINA = timezone(timedelta(hours=8))
SPANS = {
    "getusersummary": 7,
    "getusercumulate": 7,
    "getarticlesummary": 1,
    "getuserread": 3,
    "getusershare": 7,
    "getupstreammsg": 7,
}
# subscribe_scene → the user_source getusersummary reports (0: the other channels).
SOURCES = {
    "ADD_SCENE_SEARCH": 1,
    "ADD_SCENE_PROFILE_CARD": 17,
    "ADD_SCENE_QR_CODE": 30,
    "ADD_SCENE_PROFILE_LINK": 57,
    "ADD_SCENE_WECHAT_ADVERTISEMENT": 100,
    "ADD_SCENE_REPRINT": 161,
}
# Share of the audience reading an article on its sending day and each day after.
DECAY = (0.35, 0.12, 0.05, 0.03, 0.02, 0.01, 0.01)
ALL_SOURCES = 99999999


def day_of(unix: int) -> date:
    return datetime.fromtimestamp(unix, CHINA).date()


def _range(fake: FakeWeChat, request: Request, interface: str) -> list[date]:
    body = request.body()
    try:
        begin = date.fromisoformat(str(body.get("begin_date")))
        end = date.fromisoformat(str(body.get("end_date")))
    except ValueError:
        raise Refusal(61500, "date format error") from None
    if len(str(body.get("begin_date"))) != 10 or len(str(body.get("end_date"))) != 10:
        raise Refusal(61500, "date format error")
    days = (end - begin).days + 1
    if days < 1 or days > SPANS[interface] or end >= day_of(int(fake.clock())):
        raise Refusal(61501, "date range error")
    late = fake.state.datacube_late
    return [begin + timedelta(days=i) for i in range(days) if begin + timedelta(days=i) not in late]


def _followers_at(fake: FakeWeChat, day: date) -> int:
    """Followers at the end of `day`."""
    now = sum(1 for u in fake.state.users.values() if day_of(u.subscribe_time) <= day)
    left = sum(
        1 for u, at in fake.state.unfollowed if day_of(u.subscribe_time) <= day and day_of(at) > day
    )
    return now + left


def user_summary(fake: FakeWeChat, request: Request) -> dict:
    days = set(_range(fake, request, "getusersummary"))
    counts: dict[tuple[date, int], list[int]] = defaultdict(lambda: [0, 0])
    users = list(fake.state.users.values()) + [u for u, _ in fake.state.unfollowed]
    for user in users:
        if day_of(user.subscribe_time) in days:
            counts[(day_of(user.subscribe_time), SOURCES.get(user.subscribe_scene, 0))][0] += 1
    for _user, at in fake.state.unfollowed:
        if day_of(at) in days:
            counts[(day_of(at), 0)][1] += 1
    return {
        "list": [
            {"ref_date": d.isoformat(), "user_source": s, "new_user": n, "cancel_user": c}
            for (d, s), (n, c) in sorted(counts.items())
        ]
    }


def user_cumulate(fake: FakeWeChat, request: Request) -> dict:
    return {
        "list": [
            {"ref_date": d.isoformat(), "cumulate_user": _followers_at(fake, d)}
            for d in _range(fake, request, "getusercumulate")
        ]
    }


def _article_reads(fake: FakeWeChat, day: date) -> list[dict]:
    """Every article read on `day`, as getarticlesummary lists them."""
    out = []
    for sent in fake.state.articles_sent:
        age = (day - day_of(sent["at"])).days
        if not 0 <= age < len(DECAY):
            continue
        audience = _followers_at(fake, day_of(sent["at"]))
        for index, title in enumerate(sent["titles"], start=1):
            msgid = f"{sent['msg_data_id']}_{index}"
            digest = hashlib.sha256(msgid.encode()).digest()
            factor = 0.5 + digest[0] / 510 - (index - 1) * 0.1
            users = round(audience * DECAY[age] * max(factor, 0.1))
            if users == 0:
                continue
            shares = users // 10
            out.append(
                {
                    "ref_date": day.isoformat(),
                    "msgid": msgid,
                    "title": title,
                    "int_page_read_user": users,
                    "int_page_read_count": users + users // 4,
                    "ori_page_read_user": 0,
                    "ori_page_read_count": 0,
                    "share_user": shares,
                    "share_count": shares + shares // 3,
                    "add_to_fav_user": users // 20,
                    "add_to_fav_count": users // 20,
                }
            )
    return out


def article_summary(fake: FakeWeChat, request: Request) -> dict:
    return {
        "list": [
            entry
            for d in _range(fake, request, "getarticlesummary")
            for entry in _article_reads(fake, d)
        ]
    }


FIELDS = (
    "int_page_read_user",
    "int_page_read_count",
    "ori_page_read_user",
    "ori_page_read_count",
    "share_user",
    "share_count",
    "add_to_fav_user",
    "add_to_fav_count",
)


def user_read(fake: FakeWeChat, request: Request) -> dict:
    """Per day: every channel together (99999999), then 会话 (0) and 朋友圈 (2), which add up."""
    out = []
    for d in _range(fake, request, "getuserread"):
        articles = _article_reads(fake, d)
        if not articles:
            continue
        total = {f: sum(a[f] for a in articles) for f in FIELDS}
        chat = {f: n * 2 // 3 for f, n in total.items()}
        moments = {f: total[f] - chat[f] for f in FIELDS}
        for source, numbers in ((ALL_SOURCES, total), (0, chat), (2, moments)):
            out.append({"ref_date": d.isoformat(), "user_source": source, **numbers})
    return {"list": out}


def user_share(fake: FakeWeChat, request: Request) -> dict:
    """Per day and scene: 好友转发 (1) and 朋友圈 (2), from the articles' shares."""
    out = []
    for d in _range(fake, request, "getusershare"):
        articles = _article_reads(fake, d)
        users = sum(a["share_user"] for a in articles)
        count = sum(a["share_count"] for a in articles)
        if not count:
            continue
        friends_users, friends = users * 2 // 3, count * 2 // 3
        for scene, u, c in (
            (1, friends_users, friends),
            (2, users - friends_users, count - friends),
        ):
            out.append(
                {"ref_date": d.isoformat(), "share_scene": scene, "share_user": u, "share_count": c}
            )
    return {"list": out}


def upstream_msg(fake: FakeWeChat, request: Request) -> dict:
    days = set(_range(fake, request, "getupstreammsg"))
    people: dict[tuple[date, int], set[str]] = defaultdict(set)
    counts: dict[tuple[date, int], int] = defaultdict(int)
    for openid, at, msg_type in fake.state.upstream:
        if day_of(at) in days:
            people[(day_of(at), msg_type)].add(openid)
            counts[(day_of(at), msg_type)] += 1
    return {
        "list": [
            {
                "ref_date": d.isoformat(),
                "msg_type": t,
                "msg_user": len(people[(d, t)]),
                "msg_count": n,
            }
            for (d, t), n in sorted(counts.items())
        ]
    }


DATACUBE_ROUTES: dict[str, tuple[str, Handler]] = {
    "/datacube/getusersummary": ("POST", user_summary),
    "/datacube/getusercumulate": ("POST", user_cumulate),
    "/datacube/getarticlesummary": ("POST", article_summary),
    "/datacube/getuserread": ("POST", user_read),
    "/datacube/getusershare": ("POST", user_share),
    "/datacube/getupstreammsg": ("POST", upstream_msg),
}
