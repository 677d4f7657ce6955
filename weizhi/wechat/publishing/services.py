"""Putting an approved story on the Official Account: draft, then publish or mass-send.

publish_to_wechat() records the request and queues run_send(); the work (uploads, draft/add,
freepublish/submit or preview + sendall) runs on a task worker, never in a web request.
WeChat reports the end of a publish or mass send to the callback, whose router calls
on_publish_job_finished() / on_mass_send_finished(). Should that report of a publish never
come, publish_poll.py asks freepublish/get instead; settle_publish() takes whichever answer
comes first.
"""

import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from wagtail.models import Page

from weizhi.content.models import InfographicPage, RepostPage, StoryPage, VideoPage
from weizhi.core.taskqueue import pause_point, task
from weizhi.wechat.api import material
from weizhi.wechat.api.client import WeChatClient, default_client
from weizhi.wechat.api.errors import WeChatAPIError
from weizhi.wechat.protocol import MassSendJobFinishEvent, PublishJobFinishEvent
from weizhi.wechat.records.models import UploadedMedia, WeChatSend

from .html import ArticleRenderer

log = logging.getLogger(__name__)

COVER_SPEC = "fill-900x383|format-jpeg|jpegquality-85"  # WeChat crops covers to 2.35:1
PUBLISH_STATUS = {
    1: "仍在发布中",
    2: "原创声明失败",
    3: "发布失败（常规失败）",
    4: "平台审核不通过",
    5: "发布成功后文章已被删除",
    6: "发布成功后文章已被系统封禁",
}
# When publish_poll.py asks freepublish/get: this long after the submit, then after each
# answer that the job is still running (or no answer), the next wait; about a day in all.
POLL_WAITS = tuple(timedelta(minutes=m) for m in (5, 10, 30, 60, 120, 240, 480, 480))
Mode = WeChatSend.Mode
Status = WeChatSend.Status


MAX_MORE = 7  # WeChat: a message holds up to 8 articles, the 头条 and seven 次条
# A 微信号 (for a preview's towxname): 6-20 letters, digits, _ or -, starting with a letter.
WXNAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{5,19}")


def publish_to_wechat(
    page: Page,
    mode: str = Mode.PUBLISH,
    *,
    user=None,
    tag_id: int | None = None,
    tag_name: str = "",
    preview_openids: Iterable[str] = (),
    preview_wxnames: Iterable[str] = (),
    more: Sequence[Page] = (),
    retry_of: WeChatSend | None = None,
) -> WeChatSend:
    """Record a send of a live story (the 头条, with up to seven 次条 in order) and queue it;
    the task does the WeChat calls."""
    page = page.specific
    openids = [o.strip() for o in preview_openids if o.strip()]
    wxnames = [w.strip() for w in preview_wxnames if w.strip()]
    if not page.live or not isinstance(page, StoryPage):
        raise ValueError("只有已发布的稿件才能发到公众号。")
    check_more(page, more)
    if mode == Mode.MASS and tag_id is None:
        raise ValueError("群发需要选择粉丝标签。")
    if mode == Mode.PREVIEW and not (openids or wxnames):
        raise ValueError("预览需要至少一个粉丝 OpenID 或微信号。")
    with transaction.atomic():
        send = WeChatSend.objects.create(
            page=page,
            page_title=page.title,
            mode=Mode(mode),
            tag_id=tag_id,
            tag_name=tag_name,
            preview_openids=openids,
            preview_wxnames=wxnames,
            more_pages=[p.pk for p in more],
            retry_of=retry_of,
            requested_by=user if user and user.is_authenticated else None,
        )
        transaction.on_commit(lambda: run_send.enqueue(send.pk))
    return send


def check_more(head: Page, more: Sequence[Page]) -> None:
    if len(more) > MAX_MORE:
        raise ValueError(f"一次最多 {MAX_MORE} 篇次条。")
    ids = [head.pk, *(p.pk for p in more)]
    if len(set(ids)) != len(ids):
        raise ValueError("同一篇稿件不能在一条消息里出现两次。")
    for other in more:
        if not other.live or not isinstance(other.specific, StoryPage):
            raise ValueError(f"《{other.title}》不是已发布的稿件，不能作为次条。")


def retry_send(send: WeChatSend, user=None) -> WeChatSend:
    """A failed send again, as a new record of its own (the failed one keeps its reason)."""
    with transaction.atomic():
        # Locked so that two clicks (or two officers) cannot both start a mass send again.
        send = (
            WeChatSend.objects.select_for_update(of=("self",))
            .select_related("page")
            .get(pk=send.pk)
        )
        if send.status != Status.FAILED:
            raise ValueError("只有失败的发送才能重试。")
        if send.retries.exists():
            raise ValueError("这次发送已经重试过，请查看重试的那条记录。")
        if send.page is None:
            raise ValueError("稿件已被删除，无法重试。")
        return publish_to_wechat(
            send.page,
            send.mode,
            user=user,
            tag_id=send.tag_id,
            tag_name=send.tag_name,
            preview_openids=send.preview_openids,
            preview_wxnames=send.preview_wxnames,
            more=more_pages(send),
            retry_of=send,
        )


def more_pages(send: WeChatSend) -> list[Page]:
    """The 次条 of a send in their order; a page deleted since is an error, not a gap."""
    found = Page.objects.in_bulk(send.more_pages)
    if len(found) != len(set(send.more_pages)):
        raise ValueError("有一篇次条稿件已被删除。")
    return [found[pk] for pk in send.more_pages]


def _send_failed(reason: str, send_id: int, *args, **kwargs) -> None:
    """Every attempt failed (its worker died each time): the send is failed, saying why."""
    unfinished = WeChatSend.objects.filter(pk=send_id, status__in=[Status.QUEUED, Status.RUNNING])
    if unfinished.update(status=Status.FAILED, message=reason[:500], finished_at=timezone.now()):
        log.error("wechat send %s failed for good: %s", send_id, reason)


@task(retry=True, on_failure=_send_failed)
def run_send(send_id: int) -> str:
    """Run again after a crash, it picks up where the last attempt stopped: the draft it
    made is reused, and a mass send carries the same clientmsgid."""
    send = WeChatSend.objects.select_related("page").get(pk=send_id)
    if send.status in (Status.SUBMITTED, Status.SUCCEEDED):
        return send.status  # done already: a retried task never sends twice
    send.status = Status.RUNNING
    send.save(update_fields=["status"])
    try:
        perform(send, default_client())
    except WeChatAPIError as exc:
        _finish(send, Status.FAILED, exc.operator_message, exc.errcode)
    except Exception as exc:
        log.exception("wechat send %s failed", send.pk)
        _finish(send, Status.FAILED, f"发送失败：{exc}"[:500])
    return send.status


def perform(send: WeChatSend, client: WeChatClient) -> None:
    if send.page is None:
        raise ValueError("稿件已被删除。")
    if not send.draft_media_id:
        pages = [send.page, *more_pages(send)]
        articles = [build_article(page.specific, client) for page in pages]
        body = client.post("/cgi-bin/draft/add", {"articles": articles})
        send.draft_media_id = str(body["media_id"])
        send.save(update_fields=["draft_media_id"])
    pause_point("run_send")
    if send.mode == Mode.PUBLISH:
        body = client.post("/cgi-bin/freepublish/submit", {"media_id": send.draft_media_id})
        send.publish_id = str(body["publish_id"])
        send.msg_data_id = str(body.get("msg_data_id") or "")  # what the comment API wants
        send.status = Status.SUBMITTED
        send.message = "已提交发布，等待微信的发布结果。"
        send.next_poll_at = timezone.now() + POLL_WAITS[0]
        send.polls = 0
        fields = ["publish_id", "msg_data_id", "status", "message", "next_poll_at", "polls"]
        send.save(update_fields=fields)
        return
    mpnews = {"mpnews": {"media_id": send.draft_media_id}, "msgtype": "mpnews"}
    for openid in send.preview_openids:
        client.post("/cgi-bin/message/mass/preview", {"touser": openid, **mpnews})
    for wxname in send.preview_wxnames:  # WeChat takes a 微信号 as towxname
        client.post("/cgi-bin/message/mass/preview", {"towxname": wxname, **mpnews})
    if send.mode == Mode.PREVIEW:
        count = len(send.preview_openids) + len(send.preview_wxnames)
        _finish(send, Status.SUCCEEDED, f"已发送预览给 {count} 位粉丝。")
        return
    _mass_send(send, client)


def _mass_send(send: WeChatSend, client: WeChatClient) -> None:
    request = {
        "filter": {"is_to_all": False, "tag_id": send.tag_id},
        "mpnews": {"media_id": send.draft_media_id},
        "msgtype": "mpnews",
        "send_ignore_reprint": 0,
        "clientmsgid": send.clientmsgid,
    }
    try:
        # Safe to retry: WeChat refuses a second send with the same clientmsgid (45065).
        body = client.call("POST", "/cgi-bin/message/mass/sendall", json=request, idempotent=True)
    except WeChatAPIError as exc:
        if exc.errcode != 45065:
            raise
        body = exc.body  # sent by an earlier attempt whose answer we lost
    send.msg_id = str(body.get("msg_id", ""))
    send.msg_data_id = str(body.get("msg_data_id", ""))
    send.status = Status.SUBMITTED
    send.message = "群发已提交，等待微信的发送结果。"
    send.save(update_fields=["msg_id", "msg_data_id", "status", "message"])


def build_article(page: StoryPage, client: WeChatClient) -> dict:
    """The draft/add article for a page, with its images uploaded to WeChat."""
    renderer = ArticleRenderer(lambda name, data: _uploaded_image(client, name, data))
    content = _source_line(page, renderer) + _content(page, renderer)
    return {
        "title": page.title[:32],
        "author": page.author[:16],
        "digest": page.summary[:120],
        "content": content,
        "content_source_url": page.source_url if isinstance(page, RepostPage) else "",
        "thumb_media_id": _cover_media_id(page, client),
        "need_open_comment": 0,
        "only_fans_can_comment": 0,
    }


def _content(page: StoryPage, renderer: ArticleRenderer) -> str:
    if isinstance(page, InfographicPage):
        images = "".join(renderer.block("image", child.value) for child in page.images)
        text = renderer.rich_text(page.text_version)
        return images + '<h3 style="font-size:17px;font-weight:bold;">文字版</h3>' + text
    if isinstance(page, VideoPage):
        poster = renderer.image(page.poster) if page.poster else ""
        return poster + renderer.note("【视频】请点击“阅读原文”观看") + renderer.body(page.body)
    return renderer.body(page.body)


def _source_line(page: StoryPage, renderer: ArticleRenderer) -> str:
    if not isinstance(page, RepostPage):
        return ""
    return renderer.note(f"来源：{page.source_name}　{page.source_date:%Y-%m-%d}")


def _cover_image(page: StoryPage):
    if page.cover:
        return page.cover
    if isinstance(page, VideoPage) and page.poster:
        return page.poster
    stream = page.images if isinstance(page, InfographicPage) else page.body
    for child in stream:
        if child.block_type == "image":
            return child.value["image"]
    return None


def _cover_media_id(page: StoryPage, client: WeChatClient) -> str:
    image = _cover_image(page)
    if image is None:
        raise ValueError("请先为稿件设置封面图（公众号图文必须有封面）。")
    rendition = image.get_rendition(COVER_SPEC)
    with rendition.file.open("rb") as handle:
        data = handle.read()
    return _remember(client, UploadedMedia.Kind.COVER, data, "cover.jpg")


def _uploaded_image(client: WeChatClient, filename: str, data: bytes) -> str:
    return _remember(client, UploadedMedia.Kind.ARTICLE_IMAGE, data, filename)


def _remember(client: WeChatClient, kind: str, data: bytes, filename: str) -> str:
    """Upload once per content; a re-publish reuses what WeChat gave us the first time."""
    digest = hashlib.sha1(data).hexdigest()  # noqa: S324 - a content key, not security
    app_id = client.account.app_id
    known = UploadedMedia.objects.filter(app_id=app_id, kind=kind, sha1=digest).first()
    if known:
        return known.url if kind == UploadedMedia.Kind.ARTICLE_IMAGE else known.media_id
    if kind == UploadedMedia.Kind.ARTICLE_IMAGE:
        url = material.upload_image(filename, data, client=client)
        UploadedMedia.objects.get_or_create(app_id=app_id, kind=kind, sha1=digest, url=url)
        return url
    media_id = material.add_material("image", filename, data, client=client)
    UploadedMedia.objects.get_or_create(app_id=app_id, kind=kind, sha1=digest, media_id=media_id)
    return media_id


def _finish(send: WeChatSend, status: str, message: str, errcode: int | None = None) -> None:
    send.status = status
    send.message = message[:500]
    send.errcode = errcode
    send.finished_at = timezone.now()
    send.save(update_fields=["status", "message", "errcode", "finished_at"])
    log.info("wechat send %s mode=%s status=%s errcode=%s", send.pk, send.mode, status, errcode)


def on_publish_job_finished(event: PublishJobFinishEvent) -> None:
    """PUBLISHJOBFINISH from the callback: record the outcome of our freepublish/submit."""
    send = WeChatSend.objects.filter(publish_id=str(event.publish_id)).first()
    if send is None:
        log.info("publish job %s finished but is not one of ours", event.publish_id)
        return
    urls = [article.url for article in event.articles]
    settle_publish(send, event.publish_status, urls, via="event")


def settle_publish(send: WeChatSend, publish_status: int, urls: Sequence[str], via: str) -> bool:
    """Record how a publish job ended, once. The callback's PUBLISHJOBFINISH and the
    freepublish/get poll both come here; whichever comes second finds the send settled and
    changes nothing. False when it was settled already. A result that arrives after the poll
    gave up still settles the send, saying so: it is WeChat's word, where giving up was only
    ours."""
    if publish_status == 0:
        values = {"status": Status.SUCCEEDED, "message": "已发布到公众号。", "errcode": None}
        values["article_url"] = urls[0] if urls else ""
    else:
        reason = PUBLISH_STATUS.get(publish_status, f"状态 {publish_status}")
        message = f"微信发布未成功：{reason}。"
        values = {"status": Status.FAILED, "message": message, "errcode": publish_status}
    if _settle(send, Q(status=Status.SUBMITTED), gave_up=False, **values):
        log.info("wechat send %s settled by %s status=%s", send.pk, via, values["status"])
        return True
    values["message"] += "（微信的结果在停止等待后才到达）"
    if _settle(send, Q(status=Status.FAILED, gave_up=True), gave_up=False, **values):
        log.info("wechat send %s settled late by %s status=%s", send.pk, via, values["status"])
        return True
    log.info("wechat send %s already settled; %s changes nothing", send.pk, via)
    return False


def give_up_publish(send: WeChatSend, note: str = "") -> bool:
    """No result after the last poll: stop waiting, and say what the operator should check."""
    hours = round(sum(wait.total_seconds() for wait in POLL_WAITS) / 3600)
    message = (
        f"约 {hours} 小时内没有得到微信的发布结果（未收到发布完成通知，查询发布状态也没有"
        "结果），已停止等待。文章可能已经发出，请到公众平台「内容与互动 → 发表记录」中核对。"
    )
    if note:
        message += f"最后一次查询：{note}"
    values = {"status": Status.FAILED, "message": message[:500], "gave_up": True}
    if _settle(send, Q(status=Status.SUBMITTED), **values):
        log.info("wechat send %s: the poll gave up", send.pk)
        return True
    log.info("wechat send %s already settled; giving up changes nothing", send.pk)
    return False


def _settle(send: WeChatSend, still: Q, **values) -> bool:
    """Finish a publish with one conditional UPDATE, if it is `still` open to this: of two
    callers, only the first wins."""
    values.update(finished_at=timezone.now(), next_poll_at=None)
    if not WeChatSend.objects.filter(still, pk=send.pk).update(**values):
        return False
    for name, value in values.items():
        setattr(send, name, value)
    return True


def on_mass_send_finished(event: MassSendJobFinishEvent) -> None:
    """MASSSENDJOBFINISH from the callback: record how many followers the mass send reached."""
    send = WeChatSend.objects.filter(msg_id=str(event.job_id or "")).first()
    if send is None:
        log.info("mass send %s finished but is not one of ours", event.job_id)
        return
    send.sent_count = event.sent_count
    send.save(update_fields=["sent_count"])
    if event.status == "send success":
        _finish(send, Status.SUCCEEDED, f"群发完成，送达 {event.sent_count or 0} 人。")
    else:
        _finish(send, Status.FAILED, f"群发未成功（微信状态：{event.status}）。")
