from django.conf import settings
from django.db import models


class Credential(models.Model):
    """The access token or jsapi_ticket every process shares, one row per account and kind.

    lease_until marks a refresh in progress, so that only one process asks WeChat while the
    others wait for its answer, without holding a database lock across the HTTP call.
    """

    class Kind(models.TextChoices):
        ACCESS_TOKEN = "access_token", "接口调用凭证"
        JSAPI_TICKET = "jsapi_ticket", "JS-SDK 票据"

    app_id = models.CharField(max_length=32)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    value = models.CharField(max_length=600, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=32, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "接口凭证"
        verbose_name_plural = "接口凭证"
        constraints = [
            models.UniqueConstraint(fields=["app_id", "kind"], name="credential_per_app_kind")
        ]

    def __str__(self) -> str:
        return f"{self.app_id} {self.kind}"


class UploadedMedia(models.Model):
    """What WeChat returned for a file we uploaded, so a re-publish reuses it."""

    class Kind(models.TextChoices):
        ARTICLE_IMAGE = "article_image", "正文图片"
        COVER = "cover", "封面（永久素材）"

    app_id = models.CharField(max_length=32)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    sha1 = models.CharField(max_length=40)
    url = models.URLField(max_length=500, blank=True)
    media_id = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "已上传素材"
        verbose_name_plural = "已上传素材"
        constraints = [
            models.UniqueConstraint(fields=["app_id", "kind", "sha1"], name="media_per_content")
        ]


class WeChatSend(models.Model):
    """One request to put a page on the Official Account, and what came of it."""

    class Mode(models.TextChoices):
        PUBLISH = "publish", "发布（不推送通知）"
        PREVIEW = "preview", "预览（发给指定粉丝）"
        MASS = "mass", "群发（按标签推送）"

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "处理中"
        SUBMITTED = "submitted", "已提交，等待微信结果"
        SUCCEEDED = "succeeded", "成功"
        FAILED = "failed", "失败"

    page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name="稿件",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    page_title = models.CharField("标题", max_length=255)
    mode = models.CharField("方式", max_length=10, choices=Mode.choices)
    tag_id = models.IntegerField("标签ID", null=True, blank=True)
    tag_name = models.CharField("标签", max_length=30, blank=True)
    preview_openids = models.JSONField("预览粉丝", default=list, blank=True)
    # A multi-article message: the ids of the 次条 pages in their order (page is the 头条).
    more_pages = models.JSONField("次条", default=list, blank=True)
    preview_wxnames = models.JSONField("预览微信号", default=list, blank=True)
    retry_of = models.ForeignKey(
        "self",
        verbose_name="重试自",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="retries",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        "状态", max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    errcode = models.IntegerField("错误码", null=True, blank=True)
    message = models.CharField("结果说明", max_length=500, blank=True)
    draft_media_id = models.CharField(max_length=128, blank=True)
    publish_id = models.CharField(max_length=64, blank=True, db_index=True)
    msg_id = models.CharField(max_length=64, blank=True, db_index=True)
    msg_data_id = models.CharField(max_length=64, blank=True)
    article_url = models.URLField("文章链接", max_length=500, blank=True)
    sent_count = models.IntegerField("送达人数", null=True, blank=True)
    created_at = models.DateTimeField("提交时间", auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    # The fallback for a PUBLISHJOBFINISH that never comes: when to ask freepublish/get next,
    # and how many times we asked (see publish_poll.py).
    next_poll_at = models.DateTimeField("下次查询发布结果", null=True, blank=True, db_index=True)
    polls = models.PositiveSmallIntegerField("已查询次数", default=0)
    # Failed only because we stopped waiting: WeChat's own result, if it still comes, wins.
    gave_up = models.BooleanField("已停止等待结果", default=False)

    class Meta:
        verbose_name = "公众号发送记录"
        verbose_name_plural = "公众号发送记录"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} {self.page_title}"

    @property
    def clientmsgid(self) -> str:
        """Fixed per send, so a retried mass send is recognised by WeChat and not repeated."""
        return f"weizhi-send-{self.pk}"


class ArticleComment(models.Model):
    """A reader's comment (留言) on an article we sent, as WeChat's comment/list last showed it.

    Rows change only through weizhi.wechat.comments.services, which asks WeChat first.
    """

    wagtail_reference_index_ignore = True

    send = models.ForeignKey(
        WeChatSend, verbose_name="文章", on_delete=models.CASCADE, related_name="comments"
    )
    user_comment_id = models.CharField("留言ID", max_length=32)
    openid = models.CharField("粉丝 OpenID", max_length=64)
    content = models.TextField("留言内容")
    created_at = models.DateTimeField("留言时间", db_index=True)
    elected = models.BooleanField("精选", default=False)
    reply = models.TextField("作者回复", blank=True)
    reply_at = models.DateTimeField("回复时间", null=True, blank=True)
    deleted = models.BooleanField("已删除", default=False)
    fetched_at = models.DateTimeField("拉取时间")
    # Its place in the one moderation queue of member contributions (投稿与留言审核).
    moderation_item = models.OneToOneField(
        "moderation.Item",
        verbose_name="审核条目",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="wechat_comment",
    )

    class Meta:
        verbose_name = "文章留言"
        verbose_name_plural = "文章留言"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["send", "user_comment_id"], name="comment_per_send")
        ]

    def __str__(self) -> str:
        text = self.content if len(self.content) <= 20 else self.content[:20] + "…"
        return f"{self.send.page_title}：{text}"

    @property
    def content_preview(self) -> str:
        return self.content if len(self.content) <= 60 else self.content[:60] + "…"

    @property
    def reply_preview(self) -> str:
        return self.reply if len(self.reply) <= 40 else self.reply[:40] + "…"
