"""Comments: one door for every change. A new comment is screened and queued (private to its
writer until approved, 精选); the office replies, pins and deletes with a reason; the writer
deletes their own; signed-in readers like approved comments once each."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from weizhi.analytics import events
from weizhi.moderation import services as moderation
from weizhi.moderation.models import Kind, Source, State

from .models import COMMENT_MAX_CHARS, REPLY_MAX_CHARS, Comment, CommentLike

log = logging.getLogger(__name__)


class CommentError(ValueError):
    """The comment cannot be taken; the message is for the writer."""


@dataclass(frozen=True)
class Writer:
    member: object | None = None
    follower: object | None = None

    @property
    def name(self) -> str:
        if self.member is not None:
            return self.member.name
        if self.follower is not None:
            return self.follower.remark or "微信用户"
        return ""

    @property
    def key(self) -> str:
        return f"m{self.member.pk}" if self.member is not None else f"f{self.follower.pk}"

    def owns(self, comment: Comment) -> bool:
        if self.member is not None and comment.member_id == self.member.pk:
            return True
        return self.follower is not None and comment.follower_id == self.follower.pk


def clean_text(text: str, limit: int = COMMENT_MAX_CHARS) -> str:
    # Plain text: control characters other than line breaks go; the template escapes the rest.
    text = "".join(c for c in text if c in "\n\t" or c.isprintable()).strip()
    if not text:
        raise CommentError("留言不能为空。")
    if len(text) > limit:
        raise CommentError(f"留言最多 {limit} 字，现在是 {len(text)} 字。")
    return text


def post_comment(
    page, writer: Writer, text: str, *, source: str = Source.READER, external_id: str = ""
) -> Comment:
    text = clean_text(text)
    with transaction.atomic():
        item = moderation.enqueue(
            Kind.COMMENT,
            text=text,
            title=page.title,
            member=writer.member,
            follower=writer.follower,
            author_name=writer.name,
            source=source,
            link=page.url or "",
        )
        comment = Comment.objects.create(
            page=page,
            item=item,
            member=writer.member,
            follower=writer.follower,
            author_name=writer.name,
            text=text,
            external_id=external_id,
        )
        events.record(
            "comment", member=writer.member, follower=writer.follower, key=f"comment:{comment.pk}"
        )
    log.info("comment %s on page=%s flagged=%s", comment.pk, page.pk, item.flagged)
    return comment


def delete_by_writer(comment: Comment, writer: Writer) -> None:
    if not writer.owns(comment):
        raise CommentError("只能删除自己的留言。")
    with transaction.atomic():
        Comment.objects.filter(pk=comment.pk).update(
            deleted_at=timezone.now(), deleted_reason="作者自行删除"
        )
        moderation.record_deletion(comment.item, member=writer.member, reason="作者自行删除")


def delete_by_office(comment: Comment, user, reason: str) -> None:
    reason = reason.strip()
    if not reason:
        raise CommentError("删除留言时请填写理由。")
    with transaction.atomic():
        Comment.objects.filter(pk=comment.pk).update(
            deleted_at=timezone.now(), deleted_reason=reason[:200]
        )
        moderation.record_deletion(comment.item, user=user, reason=reason)


def reply(comment: Comment, user, text: str) -> None:
    """作者回复: the office's answer, shown under the comment (an empty text takes it back)."""
    text = text.strip()
    if len(text) > REPLY_MAX_CHARS:
        raise CommentError(f"回复最多 {REPLY_MAX_CHARS} 字。")
    Comment.objects.filter(pk=comment.pk).update(
        reply=text, replied_by=user if text else None, replied_at=timezone.now() if text else None
    )


def set_pinned(comment: Comment, pinned: bool) -> None:
    Comment.objects.filter(pk=comment.pk).update(pinned=pinned)


def like(comment: Comment, writer: Writer) -> tuple[bool, int]:
    """(added, likes). Only approved, undeleted comments take likes; each reader once."""
    if comment.item.state != State.APPROVED or comment.deleted_at is not None:
        raise CommentError("这条留言还不能点赞。")
    try:
        with transaction.atomic():
            CommentLike.objects.create(comment=comment, liker=writer.key)
            Comment.objects.filter(pk=comment.pk).update(likes=F("likes") + 1)
        added = True
    except IntegrityError:
        added = False
    return added, Comment.objects.values_list("likes", flat=True).get(pk=comment.pk)
