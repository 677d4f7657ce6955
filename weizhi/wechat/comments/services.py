"""Comments (留言) on the articles we sent: open and close them, pull them in, and moderate.

Every change asks WeChat first and records the outcome here only when WeChat said yes, so
weizhi never shows a 精选 or a reply that readers do not see. Each change is written to
Wagtail's audit log (报告 → 网站历史, and the 历史 of each comment) with who did it.

WeChat's comment API addresses an article by the msg_data_id that freepublish/submit or
mass/sendall returned for its send, and its index in that send; our sends carry one article
each, so the index is always 0. pull_recent_comments() is the scheduler's daily pull.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from wagtail.log_actions import log
from wagtail.models import ModelLogEntry

from weizhi.audience.services import follower_for_sign_in
from weizhi.core.taskqueue import task
from weizhi.moderation import services as moderation
from weizhi.moderation.models import Action, Kind, Source
from weizhi.wechat.api.client import WeChatClient, default_client
from weizhi.wechat.api.errors import WeChatAPIError
from weizhi.wechat.records.models import ArticleComment, WeChatSend

log_ = logging.getLogger(__name__)

INDEX = 0
PAGE_SIZE = 49  # the docs say ">=50 is refused", the errmsg "count > 50": 49 satisfies both
MAX_PAGES = 400  # 19,600 comments: a bound, so a misbehaving total cannot loop forever
REPLY_MAX_CHARS = 1000  # WeChat publishes no number; longer replies would meet 88007 anyway
RECENT = timedelta(days=30)  # the daily pull looks at the sends of these last days
NO_MSG_DATA_ID = "这条发送记录没有微信的 msg_data_id（只有已提交的发布或群发可以管理留言）。"

ACTIONS = {
    "wechat_outbound.comments_open": "打开留言",
    "wechat_outbound.comments_close": "关闭留言",
    "wechat_outbound.comments_pull": "拉取留言",
    "wechat_outbound.comments_pull_failed": "拉取留言失败",
    "wechat_outbound.comment_elect": "精选留言",
    "wechat_outbound.comment_unelect": "取消精选",
    "wechat_outbound.comment_reply": "回复留言",
    "wechat_outbound.comment_reply_delete": "删除回复",
    "wechat_outbound.comment_delete": "删除留言",
}

_MESSAGES = {
    88000: "公众号没有留言功能的权限（需在公众平台开通留言功能），无法管理留言。",
    88001: "微信找不到这篇图文（msg_data_id 无效，或文章已被删除）。",
    88002: "文章存在敏感信息，微信不允许打开留言。",
    88003: "精选留言数已达微信的上限，请先取消部分精选。",
    88004: "该留言已被作者删除，无法精选。",
    88005: "该留言已经回复过了；如需修改，请先删除原回复。",
    88007: "回复内容为空或超过微信允许的长度。",
    88008: "微信中已没有这条留言（可能已被删除），请重新拉取留言。",
    87009: "该留言没有作者回复，无需删除（请重新拉取留言）。",
    88009: "该留言没有作者回复，无需删除（请重新拉取留言）。",
    88010: "拉取留言的数量参数不合法。",
}


class CommentError(Exception):
    """What the operator reads when a comment action did not happen."""

    def __init__(self, message: str, errcode: int | None = None) -> None:
        self.message = message
        self.errcode = errcode
        super().__init__(message)


@dataclass
class PullResult:
    created: int = 0
    updated: int = 0
    seen: int = 0


def commentable_sends():
    """Sends whose article readers may comment on: WeChat gave a msg_data_id and the send
    did not fail (a failed publish has an id, but no article)."""
    return WeChatSend.objects.exclude(msg_data_id="").exclude(status=WeChatSend.Status.FAILED)


def _call(client: WeChatClient | None, path: str, send: WeChatSend, **fields) -> dict:
    if not send.msg_data_id:
        raise CommentError(NO_MSG_DATA_ID)
    msg_data_id = int(send.msg_data_id) if send.msg_data_id.isdigit() else send.msg_data_id
    body = {"msg_data_id": msg_data_id, "index": INDEX, **fields}
    try:
        return (client or default_client()).post(path, body)
    except WeChatAPIError as exc:
        message = _MESSAGES.get(exc.errcode) or exc.operator_message
        raise CommentError(message, exc.errcode) from exc


def _comment_call(client: WeChatClient | None, path: str, comment: ArticleComment, **fields):
    uid = comment.user_comment_id
    uid_value = int(uid) if uid.isdigit() else uid
    return _call(client, path, comment.send, user_comment_id=uid_value, **fields)


# Opening and closing an article's comments, and pulling them in.


def open_comments(send: WeChatSend, *, user=None, client: WeChatClient | None = None) -> None:
    _call(client, "/cgi-bin/comment/open", send)
    log(instance=send, action="wechat_outbound.comments_open", user=user)


def close_comments(send: WeChatSend, *, user=None, client: WeChatClient | None = None) -> None:
    _call(client, "/cgi-bin/comment/close", send)
    log(instance=send, action="wechat_outbound.comments_close", user=user)


SWITCHES = ("wechat_outbound.comments_open", "wechat_outbound.comments_close")
PULLS = ("wechat_outbound.comments_pull", "wechat_outbound.comments_pull_failed")


def comment_states(sends: list[WeChatSend]) -> dict[int, tuple]:
    """For each send: the last 打开/关闭留言 and the last pull done from weizhi, in one query.
    (WeChat has no call that tells whether an article's comments are open.)"""
    entries = (
        ModelLogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(WeChatSend),
            object_id__in=[str(send.pk) for send in sends],
            action__in=[*SWITCHES, *PULLS],
        )
        .select_related("user")
        .order_by("-timestamp", "-pk")
    )
    states: dict[int, list] = {}
    for entry in entries:
        state = states.setdefault(int(entry.object_id), [None, None])
        slot = 0 if entry.action in SWITCHES else 1
        if state[slot] is None:
            state[slot] = entry
    return {pk: tuple(state) for pk, state in states.items()}


def queue_pull(send: WeChatSend, *, user=None) -> None:
    if not send.msg_data_id:
        raise CommentError(NO_MSG_DATA_ID)
    user_id = user.pk if user is not None and user.is_authenticated else None
    transaction.on_commit(lambda: pull_comments_task.enqueue(send.pk, user_id))


def pull_comments(send: WeChatSend, *, user=None, client: WeChatClient | None = None) -> PullResult:
    """Page through comment/list (all comments, elected or not) and upsert them."""
    items: list[dict] = []
    for page in range(MAX_PAGES):
        fields = {"begin": page * PAGE_SIZE, "count": PAGE_SIZE, "type": 0}
        body = _call(client, "/cgi-bin/comment/list", send, **fields)
        batch = [c for c in body.get("comment") or [] if isinstance(c, dict)]
        items.extend(batch)
        if len(batch) < PAGE_SIZE:
            break
    result = _upsert(send, items)
    log(
        instance=send,
        action="wechat_outbound.comments_pull",
        user=user,
        data={"created": result.created, "updated": result.updated, "seen": result.seen},
    )
    return result


@task()
def pull_comments_task(send_id: int, user_id: int | None = None) -> str:
    from django.contrib.auth import get_user_model

    send = WeChatSend.objects.get(pk=send_id)
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    result = _pull_or_record_failure(send, user)
    if isinstance(result, CommentError):
        return f"failed: {result.errcode}"
    return f"created={result.created} updated={result.updated}"


def _pull_or_record_failure(send: WeChatSend, user=None) -> PullResult | CommentError:
    try:
        return pull_comments(send, user=user)
    except CommentError as exc:
        log_.warning("pull comments of send %s failed: %s", send.pk, exc.message)
        data = {"errcode": exc.errcode, "message": exc.message}
        log(instance=send, action="wechat_outbound.comments_pull_failed", user=user, data=data)
        return exc


def sends_with_comments_open(since: datetime) -> list[WeChatSend]:
    """Commentable sends made since then whose last 打开/关闭留言 from weizhi was 打开 (WeChat
    has no call that tells; comments opened in its console are pulled by hand)."""
    sends = list(commentable_sends().filter(created_at__gte=since).order_by("created_at"))
    states = comment_states(sends)
    opened = []
    for send in sends:
        switch = states.get(send.pk, (None, None))[0]
        if switch is not None and switch.action == "wechat_outbound.comments_open":
            opened.append(send)
    return opened


@task()
def pull_recent_comments() -> str:
    """The daily pull: new comments on the last 30 days' articles with comments open.
    Re-pulling is harmless (rows are matched by user_comment_id); one article's failure is
    recorded in its history and the others are still pulled."""
    sends = sends_with_comments_open(timezone.now() - RECENT)
    created = updated = failed = 0
    for send in sends:
        try:
            result = _pull_or_record_failure(send)
        except Exception:
            log_.exception("pull comments of send %s failed", send.pk)
            failed += 1
            continue
        if isinstance(result, CommentError):
            failed += 1
            continue
        created, updated = created + result.created, updated + result.updated
    log_.info("daily comment pull sends=%d created=%d updated=%d failed=%d",
              len(sends), created, updated, failed)  # fmt: skip
    summary = f"拉取 {len(sends)} 篇文章的留言：新增 {created} 条，更新 {updated} 条"
    return summary + (f"，{failed} 篇失败。" if failed else "。")


def _upsert(send: WeChatSend, items: list[dict]) -> PullResult:
    now = timezone.now()
    by_id = {str(item.get("user_comment_id")): item for item in items}
    result = PullResult(seen=len(by_id))
    with transaction.atomic():
        known = {c.user_comment_id: c for c in send.comments.filter(user_comment_id__in=by_id)}
        new, changed = [], []
        for uid, item in by_id.items():
            values = _fields(item)
            row = known.get(uid)
            if row is None:
                new.append(ArticleComment(send=send, user_comment_id=uid, fetched_at=now, **values))
                continue
            if any(getattr(row, name) != value for name, value in values.items()):
                changed.append(row)
            for name, value in values.items():
                setattr(row, name, value)
            row.fetched_at = now
        ArticleComment.objects.bulk_create(new, ignore_conflicts=True)
        ArticleComment.objects.bulk_update(
            list(known.values()), [*_fields({}).keys(), "fetched_at"], batch_size=200
        )
        _to_queue(send.comments.filter(moderation_item__isnull=True, deleted=False))
    result.created, result.updated = len(new), len(changed)
    return result


def _fields(item: dict) -> dict:
    reply = item.get("reply") if isinstance(item.get("reply"), dict) else {}
    reply_text = str(reply.get("content") or "")
    return {
        "openid": str(item.get("openid") or "")[:64],
        "content": str(item.get("content") or ""),
        "created_at": _time(item.get("create_time")) or timezone.now(),
        "elected": str(item.get("comment_type")) == "1",
        "reply": reply_text,
        "reply_at": _time(reply.get("create_time")) if reply_text else None,
    }


def _time(value) -> datetime | None:
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(seconds, tz=UTC) if seconds > 0 else None


# Moderating one comment.


def mark_elected(comment: ArticleComment, *, user=None, client: WeChatClient | None = None):
    _comment_call(client, "/cgi-bin/comment/markelect", comment)
    _save(comment, user, "wechat_outbound.comment_elect", elected=True)
    _queue_follows(comment, user, approved=True)


def unmark_elected(comment: ArticleComment, *, user=None, client: WeChatClient | None = None):
    _comment_call(client, "/cgi-bin/comment/unmarkelect", comment)
    _save(comment, user, "wechat_outbound.comment_unelect", elected=False)
    _queue_follows(comment, user, approved=False)


def _queue_follows(comment: ArticleComment, user, *, approved: bool) -> None:
    """A decision taken on the comment's own page shows in the queue too."""
    item = comment.moderation_item
    if item is None:
        return
    item.refresh_from_db()
    if approved and item.state != "approved":
        moderation.approve(item, user, note="在文章留言页精选")
    elif not approved and item.state == "approved":
        moderation.reject(item, user, reason="在文章留言页取消精选")


def reply(
    comment: ArticleComment, text: str, *, user=None, client: WeChatClient | None = None
) -> None:
    text = text.strip()
    if not text:
        raise CommentError("回复内容不能为空。")
    if len(text) > REPLY_MAX_CHARS:
        raise CommentError(f"回复最多 {REPLY_MAX_CHARS} 个字。")
    _comment_call(client, "/cgi-bin/comment/reply/add", comment, content=text)
    _save(
        comment,
        user,
        "wechat_outbound.comment_reply",
        data={"reply": text},
        reply=text,
        reply_at=timezone.now(),
    )


def delete_reply(comment: ArticleComment, *, user=None, client: WeChatClient | None = None):
    _comment_call(client, "/cgi-bin/comment/reply/delete", comment)
    data = {"reply": comment.reply}  # the trail keeps what was taken down
    _save(comment, user, "wechat_outbound.comment_reply_delete", data=data, reply="", reply_at=None)


def delete_comment(comment: ArticleComment, *, user=None, client: WeChatClient | None = None):
    _comment_call(client, "/cgi-bin/comment/delete", comment)
    data = {"content": comment.content, "openid": comment.openid}
    _save(comment, user, "wechat_outbound.comment_delete", data=data, deleted=True)
    if comment.moderation_item is not None:
        moderation.record_deletion(comment.moderation_item, user=user, reason="从公众号文章中删除")


def _save(comment: ArticleComment, user, action: str, data: dict | None = None, **values):
    with transaction.atomic():
        for name, value in values.items():
            setattr(comment, name, value)
        comment.save(update_fields=list(values))
        log(instance=comment, action=action, user=user, data=data or {})
    log_.info("comment %s %s by %s", comment.pk, action, getattr(user, "pk", None))


# The moderation queue (投稿与留言审核): WeChat's comments beside the reader site's.


def _to_queue(comments) -> None:
    """Each comment not yet in the queue joins it, screened like any contribution; one that
    is already 精选 in WeChat joins as approved (WeChat's state is what readers see)."""
    for comment in comments.select_related("send").order_by("created_at", "pk"):
        item = moderation.enqueue(
            Kind.COMMENT,
            text=comment.content,
            title=comment.send.page_title,
            follower=follower_for_sign_in(comment.openid) if comment.openid else None,
            author_name="微信读者",
            source=Source.WECHAT,
        )
        comment.moderation_item = item
        comment.save(update_fields=["moderation_item"])
        if comment.elected:
            moderation.approve(item, None, note="微信后台已精选")


def on_moderation_decision(item, action: str) -> None:
    """A decision in the queue on a WeChat comment, carried to WeChat first: 通过 shows the
    comment to every reader (精选), 退回 takes it back. When WeChat refuses, the decision is
    not recorded and the moderator reads why."""
    comment = ArticleComment.objects.filter(moderation_item=item).first()
    if comment is None or comment.deleted:
        return
    user = item.moderated_by
    try:
        if action == Action.APPROVED and not comment.elected:
            mark_elected(comment, user=user)
        elif action == Action.REJECTED and comment.elected:
            unmark_elected(comment, user=user)
    except CommentError as error:
        raise moderation.ModerationError(f"微信未接受：{error}") from error
