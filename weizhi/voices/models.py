"""Comments under articles and members' submissions (投稿). Their state lives in the shared
moderation queue (weizhi.moderation.Item), linked one-to-one."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from weizhi.moderation.models import State

COMMENT_MAX_CHARS = 500
REPLY_MAX_CHARS = 500


class CommentQuerySet(models.QuerySet):
    def public(self):
        """What every reader sees under an article: approved (精选) and not deleted."""
        return self.filter(item__state=State.APPROVED, deleted_at__isnull=True)

    def seen_by(self, member=None, follower=None):
        """The public comments, and the writer's own that are not deleted, in any state."""
        mine = Q(pk__in=[])
        if member is not None:
            mine |= Q(member=member)
        if follower is not None:
            mine |= Q(follower=follower)
        return self.filter(
            Q(item__state=State.APPROVED) | mine, deleted_at__isnull=True
        ).select_related("item")


class Comment(models.Model):
    page = models.ForeignKey(
        "wagtailcore.Page", verbose_name="文章", on_delete=models.CASCADE, related_name="+"
    )
    item = models.OneToOneField(
        "moderation.Item", verbose_name="审核", on_delete=models.PROTECT, related_name="comment"
    )
    member = models.ForeignKey(
        "audience.Member",
        verbose_name="党员",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    follower = models.ForeignKey(
        "audience.Follower",
        verbose_name="粉丝",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    author_name = models.CharField("留言人", max_length=60)
    text = models.TextField("留言")
    # The comment's id on WeChat's side, for comments pulled from the Official Account.
    external_id = models.CharField("微信留言编号", max_length=64, blank=True)
    pinned = models.BooleanField("置顶", default=False)
    likes = models.PositiveIntegerField("点赞", default=0)
    reply = models.TextField("作者回复", blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    replied_at = models.DateTimeField("回复时间", null=True, blank=True)
    created_at = models.DateTimeField("留言时间", default=timezone.now, db_index=True)
    deleted_at = models.DateTimeField("删除时间", null=True, blank=True)
    deleted_reason = models.CharField("删除理由", max_length=200, blank=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        verbose_name = "文章留言"
        verbose_name_plural = "文章留言"
        ordering = ["-pinned", "-likes", "-created_at"]
        indexes = [models.Index(fields=["page", "deleted_at"], name="voices_comment_page")]

    def __str__(self) -> str:
        return self.text[:20]


class CommentLike(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="+")
    liker = models.CharField(max_length=40)  # "m<member id>" or "f<follower id>"
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "留言点赞"
        verbose_name_plural = "留言点赞"
        constraints = [
            models.UniqueConstraint(fields=["comment", "liker"], name="voices_like_once")
        ]


class Submission(models.Model):
    item = models.OneToOneField(
        "moderation.Item", verbose_name="审核", on_delete=models.PROTECT, related_name="submission"
    )
    member = models.ForeignKey(
        "audience.Member", verbose_name="作者", on_delete=models.PROTECT, related_name="+"
    )
    column = models.ForeignKey(
        "content.ColumnPage", verbose_name="投稿栏目", on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField("标题", max_length=60)
    text = models.TextField("正文")
    article = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name="稿件",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("投稿时间", default=timezone.now)

    class Meta:
        verbose_name = "投稿"
        verbose_name_plural = "投稿"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class SubmissionImage(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="images")
    file = models.ImageField("图片", upload_to="submissions/%Y/%m/")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "投稿图片"
        verbose_name_plural = "投稿图片"
        ordering = ["position"]
