"""The fake's endpoints: request checks and answers as WeChat's documentation describes them."""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import TYPE_CHECKING, Any

from .comments import COMMENT_ROUTES
from .datacube import DATACUBE_ROUTES
from .menu import menu_for_get, validate_menu
from .wire import Handler, Refusal, Request

if TYPE_CHECKING:
    from .core import FakeWeChat

IMAGE_TYPES = {"image/jpeg", "image/jpg", "image/png"}
UPLOADIMG_MAX = 1024 * 1024
MATERIAL_MAX = {"image": 10 * 1024 * 1024, "thumb": 64 * 1024, "voice": 2 * 1024 * 1024}
MAX_TAG_NAME_BYTES = 30
MAX_TAGS_PER_USER = 20
OK = {"errcode": 0, "errmsg": "ok"}
# A 微信号 as WeChat allows one: 6-20 letters, digits, _ or -, starting with a letter.
WXNAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{5,19}")


def _text_size(value: Any) -> int:
    return len(str(value or ""))


# Credentials.


def stable_token(fake: FakeWeChat, request: Request) -> dict:
    body = request.body()
    if body.get("grant_type") != "client_credential":
        raise Refusal(40002, "invalid grant_type")
    if body.get("appid") != fake.app_id:
        raise Refusal(40013, "invalid appid")
    if body.get("secret") != fake.secret:
        raise Refusal(40125, "invalid appsecret")
    token, expires_in = fake.issue_token(force=bool(body.get("force_refresh")))
    return {"access_token": token, "expires_in": expires_in}


def get_ticket(fake: FakeWeChat, request: Request) -> dict:
    if request.query.get("type") != "jsapi":
        raise Refusal(40097, "invalid args")
    ticket = secrets.token_urlsafe(60)
    return {**OK, "ticket": ticket, "expires_in": 7200}


# Menu.


def menu_create(fake: FakeWeChat, request: Request) -> dict:
    fake.state.menu = {"button": validate_menu(request.body())}
    return OK


def menu_get(fake: FakeWeChat, request: Request) -> dict:
    if fake.state.menu is None:
        raise Refusal(46003, "menu no exist")
    return menu_for_get(fake.state.menu["button"])


def menu_delete(fake: FakeWeChat, request: Request) -> dict:
    fake.state.menu = None
    return OK


# Messages to one follower.


def _known_user(fake: FakeWeChat, openid: Any) -> str:
    if not openid or (fake.strict_users and openid not in fake.state.users):
        raise Refusal(40003, "invalid openid")
    return str(openid)


def custom_send(fake: FakeWeChat, request: Request) -> dict:
    body = request.body()
    openid = _known_user(fake, body.get("touser"))
    msgtype = body.get("msgtype")
    if msgtype == "text":
        if not (body.get("text") or {}).get("content"):
            raise Refusal(44004, "empty content")
    elif msgtype == "news":
        articles = (body.get("news") or {}).get("articles") or []
        if len(articles) != 1:
            raise Refusal(45008, "article size out of limit")
    elif msgtype in ("image", "voice", "mpnewsarticle", "mpnews"):
        pass
    else:
        raise Refusal(40008, "invalid message type")
    fake.state.custom_messages.append({"touser": openid, **body})
    return OK


# Subscription messages (订阅通知): only to a follower who subscribed to the template.
SUBSCRIBE_LIMITS = {"thing": 20, "character_string": 32, "phrase": 5, "name": 10, "time": 30}


def subscribe_send(fake: FakeWeChat, request: Request) -> dict:
    body = request.body()
    openid = _known_user(fake, body.get("touser"))
    template_id = body.get("template_id")
    data = body.get("data")
    if not template_id or not isinstance(data, dict) or not data:
        raise Refusal(47003, "argument invalid! data.template_id or data.data is empty")
    for key, entry in data.items():
        value = entry.get("value") if isinstance(entry, dict) else None
        kind = key.rstrip("0123456789")
        if not isinstance(value, str) or not value or len(value) > SUBSCRIBE_LIMITS.get(kind, 20):
            raise Refusal(47003, f"argument invalid! data.{key}.value invalid")
    if template_id not in fake.state.subscriptions.get(openid, set()):
        raise Refusal(43101, "user refuse to accept the msg")
    fake.state.subscribe_messages.append({"touser": openid, **body})
    return OK


# Media.


def _upload(request: Request) -> tuple[str, bytes, str]:
    if "media" not in request.files:
        raise Refusal(41005, "media data missing")
    return request.files["media"]


def upload_img(fake: FakeWeChat, request: Request) -> dict:
    _filename, data, content_type = _upload(request)
    if content_type not in IMAGE_TYPES:
        raise Refusal(40005, "invalid file type")
    if len(data) > UPLOADIMG_MAX:
        raise Refusal(40009, "invalid image size")
    digest = hashlib.sha1(data).hexdigest()  # noqa: S324 - a content name, not security
    url = f"http://mmbiz.qpic.cn/mmbiz_png/{digest}/0"
    fake.state.uploaded_images[url] = data
    return {"url": url}


def add_material(fake: FakeWeChat, request: Request) -> dict:
    kind = request.query.get("type", "")
    if kind not in ("image", "voice", "video", "thumb"):
        raise Refusal(40004, "invalid media type")
    filename, data, content_type = _upload(request)
    if kind in ("image", "thumb") and content_type not in IMAGE_TYPES | {"image/gif"}:
        raise Refusal(40005, "invalid file type")
    if len(data) > MATERIAL_MAX.get(kind, 10 * 1024 * 1024):
        raise Refusal(40009 if kind == "image" else 40006, "invalid media size")
    media_id = fake.new_id(kind)
    answer = {"media_id": media_id}
    if kind == "image":
        answer["url"] = f"http://mmbiz.qpic.cn/mmbiz_jpg/{media_id[:16]}/0"
    fake.state.material[media_id] = {"type": kind, "filename": filename, "size": len(data)}
    return answer


# Drafts and publishing.


def _check_article(fake: FakeWeChat, article: Any) -> None:
    if not isinstance(article, dict) or not article.get("title"):
        raise Refusal(44003, "empty news data")
    if _text_size(article["title"]) > 32:
        raise Refusal(45003, "title size out of limit")
    if _text_size(article.get("author")) > 16:
        raise Refusal(45110, "author size out of limit")
    if _text_size(article.get("digest")) > 128:
        raise Refusal(45004, "description size out of limit")
    content = str(article.get("content") or "")
    if not content or len(content) >= 20000 or len(content.encode()) >= 1024 * 1024:
        raise Refusal(45002, "content size out of limit")
    if len(str(article.get("content_source_url") or "").encode()) > 1024:
        raise Refusal(45005, "url size out of limit")
    thumb_id = str(article.get("thumb_media_id") or "")
    if not (fake.signed_id(thumb_id, "image") or fake.signed_id(thumb_id, "thumb")):
        raise Refusal(40007, "invalid media_id")


def draft_add(fake: FakeWeChat, request: Request) -> dict:
    articles = request.body().get("articles")
    if not isinstance(articles, list) or not 1 <= len(articles) <= 8:
        raise Refusal(45008, "article size out of limit")
    for article in articles:
        _check_article(fake, article)
    media_id = fake.new_id("draft")
    fake.state.drafts[media_id] = articles
    return {"media_id": media_id}


def draft_get(fake: FakeWeChat, request: Request) -> dict:
    articles = fake.state.drafts.get(str(request.body().get("media_id")))
    if articles is None:
        raise Refusal(40007, "invalid media_id")
    return {"news_item": articles}


def _take_draft(fake: FakeWeChat, media_id: str) -> list[dict]:
    """Remove a draft for publishing or sending. In the in-process demo another web process
    may hold it: its signed id is then enough, and its articles are unknown here."""
    if media_id in fake.state.sent_drafts or not fake.signed_id(media_id, "draft"):
        raise Refusal(40007, "invalid media_id")
    fake.state.sent_drafts.add(media_id)
    return fake.state.drafts.pop(media_id, None) or [{"title": "（另一进程中的草稿）"}]


def _live_draft(fake: FakeWeChat, media_id: str) -> bool:
    return fake.signed_id(media_id, "draft") and media_id not in fake.state.sent_drafts


def freepublish_submit(fake: FakeWeChat, request: Request) -> dict:
    media_id = str(request.body().get("media_id"))
    articles = _take_draft(fake, media_id)
    publish_id = str(fake.state.next_id())
    msg_data_id = str(fake.state.next_id())
    fake.state.published_articles[publish_id] = articles
    fake.state.record_articles(msg_data_id, articles, int(fake.clock()))
    article_id = secrets.token_urlsafe(24)
    # The fake's jobs finish at once; a test sets publish_status to play a slower one.
    fake.state.publishes[publish_id] = {
        "publish_status": 0,
        "article_id": article_id,
        "article_urls": [
            f"https://mp.weixin.qq.com/s/{article_id}{i}" for i in range(1, len(articles) + 1)
        ],
        "msg_data_id": msg_data_id,
        "fail_idx": [],
    }
    return {**OK, "publish_id": publish_id, "msg_data_id": msg_data_id}


def freepublish_get(fake: FakeWeChat, request: Request) -> dict:
    """The 发布状态轮询 answer: article_id and article_detail only once the job succeeded
    (status 0), fail_idx (numbered from 1) only for 2 and 4."""
    publish_id = str(request.body().get("publish_id") or "")
    job = fake.state.publishes.get(publish_id)
    if job is None and not fake.strict_users and publish_id.isdigit():
        # The in-process demo: another process (a web worker) took the submit; the
        # scheduler's poll asks its own fake, and the job has finished there as here.
        job = {"publish_status": 0, "article_id": publish_id, "fail_idx": []}
        job["article_urls"] = [f"https://mp.weixin.qq.com/s/{publish_id}1"]
    if job is None:
        raise Refusal(48006, "publish_id not exist")  # WeChat documents no code for this
    status = int(job["publish_status"])
    answer: dict[str, Any] = {**OK, "publish_id": publish_id, "publish_status": status}
    if status == 0:
        urls = job["article_urls"]
        answer["article_id"] = job["article_id"]
        answer["article_detail"] = {
            "count": len(urls),
            "item": [{"idx": i, "article_url": url} for i, url in enumerate(urls, start=1)],
        }
    failed = job["fail_idx"] or list(range(1, len(job["article_urls"]) + 1))
    answer["fail_idx"] = failed if status in (2, 4) else []
    return answer


# Mass sending.


def _mass_content(fake: FakeWeChat, body: dict) -> dict:
    msgtype = body.get("msgtype")
    if msgtype == "mpnews":
        media_id = str((body.get("mpnews") or {}).get("media_id"))
        if not _live_draft(fake, media_id):
            raise Refusal(40007, "invalid media_id")
        return {"msgtype": msgtype, "media_id": media_id}
    if msgtype == "text":
        content = (body.get("text") or {}).get("content")
        if not content:
            raise Refusal(44004, "empty content")
        return {"msgtype": msgtype, "content": content}
    raise Refusal(40008, "invalid message type")


def mass_preview(fake: FakeWeChat, request: Request) -> dict:
    """To a follower's OpenID (touser) or WeChat ID (towxname, which wins when both come)."""
    body = request.body()
    wxname = body.get("towxname")
    if wxname is not None:
        if not isinstance(wxname, str) or not WXNAME.fullmatch(wxname):
            raise Refusal(40132, "invalid username")
        to = {"towxname": wxname}
    else:
        to = {"touser": _known_user(fake, body.get("touser"))}
    content = _mass_content(fake, body)
    msg_id = fake.state.next_id()
    fake.state.previews.append({**to, "msg_id": msg_id, **content})
    return {"errcode": 0, "errmsg": "preview success", "msg_id": msg_id}


def mass_sendall(fake: FakeWeChat, request: Request) -> dict:
    body = request.body()
    client_id = str(body.get("clientmsgid") or "")
    if len(client_id.encode()) > 64:
        raise Refusal(45067, "clientmsgid size out of limit")
    earlier = fake.state.mass_by_client_id.get(client_id) if client_id else None
    if earlier:
        raise Refusal(45065, "clientmsgid exist", msg_id=earlier["msg_id"])
    recipients = _mass_recipients(fake, body.get("filter") or {})
    content = _mass_content(fake, body)
    articles = _take_draft(fake, content["media_id"]) if "media_id" in content else []
    send = {"msg_id": fake.state.next_id(), "msg_data_id": fake.state.next_id()}
    if articles:  # a sent draft leaves the box; its articles are read from now on
        fake.state.record_articles(str(send["msg_data_id"]), articles, int(fake.clock()))
    send.update(content, recipients=recipients, clientmsgid=client_id)
    fake.state.mass_sends.append(send)
    if client_id:
        fake.state.mass_by_client_id[client_id] = send
    return {
        "errcode": 0,
        "errmsg": "send job submission success",
        "msg_id": send["msg_id"],
        "msg_data_id": send["msg_data_id"],
    }


def _mass_recipients(fake: FakeWeChat, filter_: dict) -> list[str]:
    if filter_.get("is_to_all"):
        return sorted(fake.state.users)
    try:
        tag_id = int(filter_.get("tag_id"))
    except (TypeError, ValueError):
        raise Refusal(40035, "invalid args: tag_id") from None
    if tag_id not in fake.state.tags:
        raise Refusal(40050, "invalid tag id")
    return sorted(o for o, user in fake.state.users.items() if tag_id in user.tag_ids)


# Followers and tags.


def user_get(fake: FakeWeChat, request: Request) -> dict:
    openids = sorted(fake.state.users)
    after = request.query.get("next_openid") or ""
    start = openids.index(after) + 1 if after in openids else 0
    page = openids[start : start + fake.user_page_size]
    answer: dict[str, Any] = {"total": len(openids), "count": len(page)}
    if page:
        answer["data"] = {"openid": page}
    answer["next_openid"] = page[-1] if page else ""
    return answer


def user_info_batch(fake: FakeWeChat, request: Request) -> dict:
    wanted = request.body().get("user_list")
    if not isinstance(wanted, list) or not 1 <= len(wanted) <= 100:
        raise Refusal(40032, "invalid openid list size")
    infos = []
    for item in wanted:
        user = fake.state.users.get(str((item or {}).get("openid")))
        if user is None:
            infos.append({"subscribe": 0, "openid": (item or {}).get("openid")})
        else:
            infos.append(user.info())
    return {"user_info_list": infos}


def tags_get(fake: FakeWeChat, request: Request) -> dict:
    tags = [
        {"id": tag_id, "name": name, "count": fake.state.tag_count(tag_id)}
        for tag_id, name in sorted(fake.state.tags.items())
    ]
    return {"tags": tags}


def tags_create(fake: FakeWeChat, request: Request) -> dict:
    name = str((request.body().get("tag") or {}).get("name") or "")
    if not name or len(name.encode()) > MAX_TAG_NAME_BYTES:
        raise Refusal(45158, "tag name too long")
    if name in fake.state.tags.values():
        raise Refusal(45157, "invalid tag name")
    if len(fake.state.tags) >= 100:
        raise Refusal(45056, "too many tags")
    tag_id = max(fake.state.tags) + 98 if len(fake.state.tags) == 1 else max(fake.state.tags) + 1
    fake.state.tags[tag_id] = name
    return {"tag": {"id": tag_id, "name": name}}


def _tagging_args(fake: FakeWeChat, request: Request) -> tuple[int, list[str]]:
    body = request.body()
    openids = body.get("openid_list")
    if not isinstance(openids, list) or not 1 <= len(openids) <= 50:
        raise Refusal(40032, "invalid openid list size")
    try:
        tag_id = int(body.get("tagid"))
    except (TypeError, ValueError):
        raise Refusal(45159, "invalid tag id") from None
    if tag_id not in fake.state.tags:
        raise Refusal(45159, "invalid tag id")
    for openid in openids:
        if openid not in fake.state.users:
            raise Refusal(40003, "invalid openid")
    return tag_id, [str(o) for o in openids]


def tags_batch_tag(fake: FakeWeChat, request: Request) -> dict:
    tag_id, openids = _tagging_args(fake, request)
    for openid in openids:
        user = fake.state.users[openid]
        if tag_id not in user.tag_ids:
            if len(user.tag_ids) >= MAX_TAGS_PER_USER:
                raise Refusal(45059, "tag number exceeded limit")
            user.tag_ids.append(tag_id)
    return OK


def tags_batch_untag(fake: FakeWeChat, request: Request) -> dict:
    tag_id, openids = _tagging_args(fake, request)
    for openid in openids:
        user = fake.state.users[openid]
        if tag_id in user.tag_ids:
            user.tag_ids.remove(tag_id)
    return OK


def oauth_access_token(fake: FakeWeChat, request: Request) -> dict:
    query = request.query
    if query.get("appid") != fake.app_id:
        raise Refusal(40013, "invalid appid")
    if query.get("secret") != fake.secret:
        raise Refusal(40125, "invalid appsecret")
    code = query.get("code", "")
    if code in fake.state.used_codes:
        raise Refusal(40163, "code been used")
    openid = fake.state.oauth_codes.pop(code, None)
    if openid is None:
        errcode, openid = fake.openid_in_code(code)
        if errcode:
            raise Refusal(errcode, "invalid code")
    fake.state.used_codes.add(code)
    return {
        "access_token": secrets.token_urlsafe(32),
        "expires_in": 7200,
        "refresh_token": secrets.token_urlsafe(32),
        "openid": openid,
        "scope": "snsapi_base",
    }


ROUTES: dict[str, tuple[str, Handler]] = {
    "/cgi-bin/stable_token": ("POST", stable_token),
    "/cgi-bin/ticket/getticket": ("GET", get_ticket),
    "/cgi-bin/menu/create": ("POST", menu_create),
    "/cgi-bin/menu/get": ("GET", menu_get),
    "/cgi-bin/menu/delete": ("GET", menu_delete),
    "/cgi-bin/message/custom/send": ("POST", custom_send),
    "/cgi-bin/message/subscribe/bizsend": ("POST", subscribe_send),
    "/cgi-bin/media/uploadimg": ("POST", upload_img),
    "/cgi-bin/material/add_material": ("POST", add_material),
    "/cgi-bin/draft/add": ("POST", draft_add),
    "/cgi-bin/draft/get": ("POST", draft_get),
    "/cgi-bin/freepublish/submit": ("POST", freepublish_submit),
    "/cgi-bin/freepublish/get": ("POST", freepublish_get),
    "/cgi-bin/message/mass/preview": ("POST", mass_preview),
    "/cgi-bin/message/mass/sendall": ("POST", mass_sendall),
    "/cgi-bin/user/get": ("GET", user_get),
    "/cgi-bin/user/info/batchget": ("POST", user_info_batch),
    "/cgi-bin/tags/get": ("GET", tags_get),
    "/cgi-bin/tags/create": ("POST", tags_create),
    "/cgi-bin/tags/members/batchtagging": ("POST", tags_batch_tag),
    "/cgi-bin/tags/members/batchuntagging": ("POST", tags_batch_untag),
    "/sns/oauth2/access_token": ("GET", oauth_access_token),
    **COMMENT_ROUTES,
    **DATACUBE_ROUTES,
}
UNAUTHENTICATED = {"/cgi-bin/stable_token", "/sns/oauth2/access_token"}
