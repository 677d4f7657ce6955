"""The 公众号模拟器: an admin page that plays WeChat's servers for a simulated follower.

The server only seals and opens; the browser itself POSTs the sealed message to the real
callback URL, so every message goes through the same middleware, signature check, decryption,
routing and storage as one from WeChat. The chat is then drawn from the stored messages, which
also carry the answers that slow actions send later as customer-service messages.

On a real account an editor must not be able to forge messages from real followers, so there
only followers the simulator created may be used (and only replies addressed to them opened).
"""

import secrets
import time
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.images import get_image_model

from weizhi.audience import followers as follower_services
from weizhi.audience.models import Follower
from weizhi.audience.scope import visible_followers
from weizhi.wechat.account import Account, current_account
from weizhi.wechat.models import MAX_TEXT_REPLY, CustomMenu, InboundMessage, ReplyRule
from weizhi.wechat.protocol import ProtocolError, parse_fields, parse_message
from weizhi.wechat.protocol.parsing import FieldValue
from weizhi.wechat.protocol.sender import Sender, message_xml, new_msg_id

PERMISSION = "wechat.change_replyrule"
# ToUserName for a real account whose 原始ID is not set yet (the callback does not check it).
UNSET_ORIGINAL_ID = "gh_000000000000"
MAX_TEXT = MAX_TEXT_REPLY
MAX_KEY = 128  # WeChat's limits for a menu button's key and link
MAX_URL = 1024
MAX_REMARK = follower_services.MAX_REMARK
HISTORY_LIMIT = 50
FOLLOWER_LIMIT = 100
KINDS = {
    "text": "文字",
    "voice": "语音",
    "click": "菜单点击",
    "view": "打开菜单网页",
    "subscribe": "关注",
    "unsubscribe": "取消关注",
}
MEDIA_LABELS = {"voice": "[语音]", "video": "[视频]", "music": "[音乐]", "image": "[图片]"}


class Refused(Exception):
    """A request the simulator turns down, with the reason shown to the operator."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def simulator_endpoint(view: Callable[..., dict]) -> Callable[..., HttpResponse]:
    """A JSON endpoint of the simulator: permission first, refusals as {"error": …}."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.has_perm(PERMISSION):
            return JsonResponse({"error": "您没有使用公众号模拟器的权限。"}, status=403)
        try:
            return JsonResponse(view(request, *args, **kwargs))
        except Refused as refused:
            return JsonResponse({"error": refused.message}, status=refused.status)

    return wrapped


def usable_followers(account: Account, user) -> QuerySet[Follower]:
    """Followers the simulator may speak for: all on a simulated account, else its own; and
    of these only those the user may see (one bound to a member outside their roster scope
    is neither shown nor spoken for)."""
    followers = visible_followers(user)
    if not account.simulated:
        followers = followers.filter(simulated=True)
    return followers


def follower_for(openid: str, account: Account, user) -> Follower:
    if not openid:
        raise Refused("请先选择或新建一个模拟粉丝。")
    follower = visible_followers(user).filter(openid=openid).first()
    if follower is None:
        raise Refused("找不到这个粉丝，请刷新页面后重新选择。", status=404)
    if not follower.simulated and not account.simulated:
        raise Refused("已连接真实公众号，模拟器只能以模拟粉丝的身份发消息。", status=403)
    return follower


def follower_json(follower: Follower) -> dict:
    return {
        "openid": follower.openid,
        "name": follower.remark or follower.openid,
        "subscribed": follower.subscribed,
        "simulated": follower.simulated,
    }


def menu_keys() -> list[dict[str, str]]:
    """The keys a menu click can send: those the enabled click rules answer."""
    keys: dict[str, str] = {}
    rules = ReplyRule.objects.filter(enabled=True, trigger=ReplyRule.Trigger.CLICK)
    for rule in rules.order_by("-priority", "id"):
        for key in rule.keyword_list():
            keys.setdefault(key, rule.name)
    return [{"key": key, "label": label} for key, label in keys.items()]


def _menu_button(button: dict) -> dict:
    return {
        "name": str(button.get("name", "")),
        "type": str(button.get("type", "")),
        "key": str(button.get("key", "")),
        "url": str(button.get("url", "")),
        "sub": [_menu_button(b) for b in button.get("sub_button") or [] if isinstance(b, dict)],
    }


def menu_bar() -> dict:
    """The phone's menu bar: the custom menu as edited in the admin, and the keys of click
    rules that no button sends yet (so that every rule can be tried before the menu exists)."""
    edited = CustomMenu.objects.filter(pk=1).values_list("buttons", flat=True).first() or []
    buttons = [_menu_button(b) for b in edited if isinstance(b, dict)]
    on_menu = {b["key"] for top in buttons for b in [top, *top["sub"]] if b["type"] == "click"}
    spare = [
        {"name": k["label"], "type": "click", "key": k["key"]}
        for k in menu_keys()
        if k["key"] not in on_menu
    ]
    every = [b for top in buttons for b in [top, *top["sub"]] if b["key"] or b["url"]]
    labels = {b["key"] or b["url"]: b["name"] for b in every}
    labels.update({k["key"]: k["name"] for k in spare})
    return {"buttons": buttons, "spare": spare, "labels": labels}


def message_fields(
    account: Account, follower: Follower, kind: str, text: str, key: str
) -> dict[str, str | int]:
    """What WeChat would send for this action of the follower, after checking it could."""
    if kind not in KINDS:
        raise Refused("不认识的消息类型。")
    if kind == "subscribe" and follower.subscribed:
        raise Refused("这个粉丝已经关注了公众号，先取消关注才能再次关注。")
    if kind != "subscribe" and not follower.subscribed:
        raise Refused("这个粉丝还没有关注公众号，请先点“关注”。")
    fields: dict[str, str | int] = {
        "ToUserName": account.original_id or UNSET_ORIGINAL_ID,
        "FromUserName": follower.openid,
        "CreateTime": int(time.time()),
    }
    if kind in ("text", "voice"):
        text = text.strip()
        if not text:
            raise Refused("请输入要发送的文字。" if kind == "text" else "请输入语音识别出的文字。")
        if len(text) > MAX_TEXT:
            raise Refused(f"消息最多 {MAX_TEXT} 个字，现在有 {len(text)} 个。")
        if kind == "text":
            return {**fields, "MsgType": "text", "Content": text, "MsgId": new_msg_id()}
        voice = {"MediaId": f"sim-voice-{secrets.token_hex(8)}", "Format": "amr"}
        return {**fields, "MsgType": "voice", **voice, "Recognition": text, "MsgId": new_msg_id()}
    if kind == "click":
        key = key.strip()
        if not key:
            raise Refused("请选择要点击的菜单。")
        if len(key.encode()) > MAX_KEY:
            raise Refused(f"菜单 key 最长 {MAX_KEY} 个字节。")
        return {**fields, "MsgType": "event", "Event": "CLICK", "EventKey": key}
    if kind == "view":
        url = key.strip()
        if not url.startswith(("http://", "https://")) or len(url.encode()) > MAX_URL:
            raise Refused("菜单网页地址应以 http:// 或 https:// 开头，且不超过 1024 字节。")
        return {**fields, "MsgType": "event", "Event": "VIEW", "EventKey": url}
    return {**fields, "MsgType": "event", "Event": kind}


def sender_for(account: Account) -> Sender:
    return Sender(token=account.token, mode=account.mode, crypto=account.crypto())


# Replies as the chat draws them ---------------------------------------------------------


def _image_url(media_id: str) -> str:
    """A picture for an image reply's MediaId: the image of the rule that uploaded it."""
    rule = ReplyRule.objects.filter(image_media_id=media_id, image__isnull=False).first()
    if rule is None:
        return ""
    image = get_image_model().objects.get(pk=rule.image_id)
    return image.get_rendition("max-600x600").url


def on_this_site(url: str) -> str:
    """A link of ours as a path, so the chat loads covers from the page's own origin (the
    admin's content security policy allows images from 'self' only, and SITE_URL may name
    another host or port than the one the operator opened)."""
    site = settings.SITE_URL
    if url.startswith(site + "/"):
        return url[len(site) :]
    return url


def chat_reply(data: dict | None) -> dict | None:
    """A stored reply (reply_json.reply_to_json's shape) in the form the chat draws."""
    if not data:
        return None
    kind = data.get("type")
    if kind == "text":
        return {"type": "text", "content": data.get("content", "")}
    if kind == "news":
        keys = ("title", "description", "pic_url", "url")
        articles = [{k: str(a.get(k) or "") for k in keys} for a in data.get("articles", [])]
        for article in articles:
            article["pic_url"] = on_this_site(article["pic_url"])
            article["url"] = on_this_site(article["url"])
        return {"type": "news", "articles": articles}
    if kind == "image":
        return {"type": "image", "url": _image_url(str(data.get("media_id", "")))}
    return {"type": "media", "label": MEDIA_LABELS.get(str(kind), "[消息]")}


def _as_list(value: FieldValue | None) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def reply_from_fields(fields: dict[str, FieldValue]) -> dict | None:
    """A passive reply as it came over the wire, in the stored reply's JSON shape."""
    kind = str(fields.get("MsgType", ""))
    if kind == "text":
        return chat_reply({"type": "text", "content": fields.get("Content", "")})
    if kind == "news":
        articles = fields.get("Articles")
        items = _as_list(articles.get("item")) if isinstance(articles, dict) else []
        cards = [
            {
                "title": item.get("Title", ""),
                "description": item.get("Description", ""),
                "pic_url": item.get("PicUrl", ""),
                "url": item.get("Url", ""),
            }
            for item in items
            if isinstance(item, dict)
        ]
        return chat_reply({"type": "news", "articles": cards})
    if kind == "image":
        image = fields.get("Image")
        media_id = image.get("MediaId", "") if isinstance(image, dict) else ""
        return chat_reply({"type": "image", "media_id": media_id})
    return chat_reply({"type": kind})


def said(row: InboundMessage) -> str:
    """What the follower did, as the chat shows it."""
    if row.msg_type == "text":
        return row.content
    if row.msg_type == "voice":
        return row.content or "（语音未识别）"
    if row.event == "subscribe":
        return "关注了公众号"
    if row.event == "unsubscribe":
        return "取消关注了公众号"
    if row.event == "CLICK":
        return f"点击菜单 {row.event_key}"
    if row.event == "VIEW":
        return f"打开菜单网页 {row.event_key}"
    return f"[{row.event or row.msg_type}]"


def history_item(row: InboundMessage) -> dict:
    Status = InboundMessage.Status
    return {
        "id": row.pk,
        "dedup_key": row.dedup_key,
        "kind": "event" if row.event else row.msg_type,
        "event": row.event,
        "said": said(row),
        "time": timezone.localtime(row.received_at).strftime("%H:%M:%S"),
        "status": row.status,
        "status_label": row.get_status_display(),
        "rule": row.rule.name if row.rule else "",
        "reply": chat_reply(row.reply),
        "late_reply": chat_reply(row.late_reply),
        "late": row.status == Status.SENT_LATER,
        "pending": row.status in (Status.DEFERRED, Status.SENDING),
        "failed": row.status == Status.FAILED,
    }


# Views ----------------------------------------------------------------------------------


class SimulatorView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "wechat/simulator.html"
    page_title = "公众号模拟器"
    header_icon = "mobile-alt"

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.has_perm(PERMISSION):
            # Wagtail turns PermissionDenied into a redirect to the dashboard; say 403 plainly.
            return render(request, "403.html", status=403)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self) -> list[dict]:
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs) -> dict:
        account = current_account()
        followers = usable_followers(account, self.request.user).order_by(
            "-simulated", "-created_at"
        )
        return {
            **super().get_context_data(**kwargs),
            "account": account,
            "mode_label": {"plain": "明文模式", "compatible": "兼容模式", "safe": "安全模式"}[
                account.mode.value
            ],
            "followers": [follower_json(f) for f in followers[:FOLLOWER_LIMIT]],
            "menu": menu_bar(),
            "max_text": MAX_TEXT,
            "urls": {
                "seal": reverse("wechat_simulator_seal"),
                "open": reverse("wechat_simulator_open"),
                "history": reverse("wechat_simulator_history"),
                "follower": reverse("wechat_simulator_follower"),
            },
        }


simulator_page = SimulatorView.as_view()


@require_POST
@simulator_endpoint
def new_follower(request: HttpRequest) -> dict:
    remark = request.POST.get("remark", "")
    if len(remark.strip()) > MAX_REMARK:
        raise Refused(f"备注名最多 {MAX_REMARK} 个字。")
    return {"follower": follower_json(follower_services.create_simulated(remark))}


@require_POST
@simulator_endpoint
def seal(request: HttpRequest) -> dict:
    account = current_account()
    follower = follower_for(request.POST.get("openid", ""), account, request.user)
    fields = message_fields(
        account,
        follower,
        request.POST.get("kind", ""),
        request.POST.get("text", ""),
        request.POST.get("key", ""),
    )
    xml = message_xml(fields)
    params, body = sender_for(account).seal(xml)
    return {
        "url": f"{reverse('wechat-callback')}?{urlencode(params)}",
        "body": body.decode(),
        "xml": xml,
        "dedup_key": parse_message(xml).dedup_key()[:200],
        "encrypted": "encrypt_type" in params,
    }


@require_POST
@simulator_endpoint
def open_reply(request: HttpRequest) -> dict:
    account = current_account()
    status = request.POST.get("status", "")
    body = request.POST.get("body", "")
    if status != "200":
        raise Refused(f"回调地址返回了 HTTP {status or '?'}：{body[:200]}", status=502)
    try:
        fields = sender_for(account).open_reply(body.encode())
    except ProtocolError as exc:
        raise Refused(f"回复无法解开：{exc}", status=502) from None
    if fields is None:
        return {"reply": None, "xml": ""}
    # Only replies to a follower the simulator may use are opened, so this endpoint cannot
    # be used to read other encrypted traffic of a real account.
    to_user = str(fields.get("ToUserName", ""))
    if not usable_followers(account, request.user).filter(openid=to_user).exists():
        raise Refused("这不是发给模拟粉丝的回复。", status=403)
    return {"reply": reply_from_fields(fields), "xml": _plaintext(account, body)}


def _plaintext(account: Account, body: str) -> str:
    """The reply's XML as the follower's WeChat app reads it (decrypted when sealed)."""
    encrypt = parse_fields(body.encode()).get("Encrypt")
    crypto = account.crypto()
    if isinstance(encrypt, str) and crypto is not None:
        return crypto.decrypt(encrypt).decode()
    return body


@require_GET
@simulator_endpoint
def history(request: HttpRequest) -> dict:
    account = current_account()
    follower = follower_for(request.GET.get("openid", ""), account, request.user)
    rows = (
        InboundMessage.objects.filter(openid=follower.openid)
        .select_related("rule")
        .order_by("-received_at", "-id")[:HISTORY_LIMIT]
    )
    items = [history_item(row) for row in reversed(rows)]
    return {
        "follower": follower_json(follower),
        "items": items,
        "pending": any(item["pending"] for item in items),
    }
