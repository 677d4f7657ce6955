"""听读悟: series of clips (a passage of the party's rules, a reference recording, a 解读 shown
after reading) and the members' readings of them. A reading's moderation state lives in the
shared queue (moderation.Item); its score exists only when a transcript does."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from weizhi.moderation.models import State


class Series(models.Model):
    title = models.CharField("系列名称", max_length=80)
    intro = models.TextField("简介", blank=True, max_length=500)
    order = models.PositiveSmallIntegerField("排序", default=0)
    enabled = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "朗读系列"
        verbose_name_plural = "朗读系列"
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.title


class ClipQuerySet(models.QuerySet):
    def open_on(self, day=None):
        day = day or timezone.localdate()
        return self.filter(
            series__enabled=True,
            enabled=True,
        ).filter(
            Q(opens_on__isnull=True) | Q(opens_on__lte=day),
            Q(closes_on__isnull=True) | Q(closes_on__gte=day),
        )


class Clip(models.Model):
    series = models.ForeignKey(
        Series, verbose_name="所属系列", on_delete=models.CASCADE, related_name="clips"
    )
    title = models.CharField("标题", max_length=80)
    passage = models.TextField("朗读原文", max_length=2000)
    reference_audio = models.FileField(
        "示范音频", upload_to="readaloud/reference/", blank=True,
        help_text="可选；mp3、m4a、ogg、webm、amr 或 wav，不超过 8 MB。",
    )  # fmt: skip
    reference_note = models.CharField(
        "示范音频状态", max_length=200, blank=True, editable=False,
        help_text="语音合成生成示范朗读的进展或失败原因。",
    )  # fmt: skip
    interpretation = models.TextField(
        "解读", blank=True, max_length=2000, help_text="党员朗读之后才显示。"
    )
    order = models.PositiveSmallIntegerField("排序", default=0)
    opens_on = models.DateField("开始日期", null=True, blank=True)
    closes_on = models.DateField("结束日期", null=True, blank=True)
    enabled = models.BooleanField("启用", default=True)

    objects = ClipQuerySet.as_manager()

    class Meta:
        verbose_name = "朗读篇目"
        verbose_name_plural = "朗读篇目"
        ordering = ["series__order", "series", "order", "pk"]

    def __str__(self) -> str:
        return self.title


class Channel(models.TextChoices):
    WEB = "web", "网页录音"
    WECHAT = "wechat", "公众号语音"
    JSSDK = "jssdk", "微信内录音"


class ReadingQuerySet(models.QuerySet):
    def gallery(self):
        """精选 readings whose reader agreed to be shown, with their recording still kept."""
        return self.filter(consent=True, item__featured=True, item__state=State.APPROVED).exclude(
            audio=""
        )


class Reading(models.Model):
    member = models.ForeignKey(
        "audience.Member", verbose_name="党员", on_delete=models.CASCADE,
        related_name="readings",
    )  # fmt: skip
    clip = models.ForeignKey(
        Clip, verbose_name="篇目", on_delete=models.CASCADE, related_name="readings"
    )
    item = models.OneToOneField(
        "moderation.Item", verbose_name="审核", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="reading",
    )  # fmt: skip
    channel = models.CharField("来源", max_length=10, choices=Channel.choices, default=Channel.WEB)
    audio = models.FileField("录音", upload_to="readaloud/%Y/%m/", blank=True)
    audio_format = models.CharField("格式", max_length=8, blank=True)
    duration = models.FloatField("时长（秒）", default=0)
    transcript = models.TextField("识别文字", blank=True)
    score = models.FloatField("相似度得分", null=True, blank=True)
    diff = models.JSONField("比对", default=list, blank=True)
    consent = models.BooleanField("同意展示", default=False)
    created_at = models.DateTimeField("朗读时间", default=timezone.now, db_index=True)
    day = models.DateField("打卡日期", db_index=True)
    audio_removed_at = models.DateTimeField("录音清理时间", null=True, blank=True)
    # A voice message's MediaId: a task run again after a failure finds its reading.
    wechat_media_id = models.CharField("微信素材ID", max_length=128, blank=True, db_index=True)

    objects = ReadingQuerySet.as_manager()

    class Meta:
        verbose_name = "朗读记录"
        verbose_name_plural = "朗读记录"
        ordering = ["-created_at", "-pk"]
        permissions = [("view_readaloud_stats", "可以查看朗读打卡统计")]

    def __str__(self) -> str:
        return f"{self.member} · {self.clip}"

    @property
    def checked_in_only(self) -> bool:
        return self.score is None


class Current(models.Model):
    """The clip a member last opened: a voice message sent to the account while it is current
    becomes a reading of it."""

    member = models.OneToOneField(
        "audience.Member", on_delete=models.CASCADE, related_name="current_clip"
    )
    clip = models.ForeignKey(Clip, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "当前篇目"
        verbose_name_plural = "当前篇目"


class WeChatRecording(models.Model):
    """A reading recorded with the JS-SDK inside WeChat (startRecord → uploadVoice): WeChat
    keeps it as temporary media under its serverId for three days; a task fetches it
    (获取临时素材) and hands it to the read-aloud service like a voice message."""

    class Status(models.TextChoices):
        PENDING = "pending", "处理中"
        DONE = "done", "已记录"
        FAILED = "failed", "失败"

    member = models.ForeignKey(
        "audience.Member", verbose_name="党员", on_delete=models.CASCADE,
        related_name="wechat_recordings",
    )  # fmt: skip
    clip = models.ForeignKey(Clip, verbose_name="篇目", on_delete=models.CASCADE)
    server_id = models.CharField("微信素材 ID", max_length=128, unique=True)
    seconds = models.FloatField("录音时长（秒）", default=0)
    consent = models.BooleanField("同意展示", default=False)
    status = models.CharField("状态", max_length=10, choices=Status, default=Status.PENDING)
    message = models.CharField("说明", max_length=200, blank=True)
    reading = models.OneToOneField(
        "Reading", verbose_name="朗读记录", null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField("提交时间", default=timezone.now)

    class Meta:
        verbose_name = "微信内录音"
        verbose_name_plural = "微信内录音"

    def __str__(self) -> str:
        return f"{self.member_id} · {self.clip_id} · {self.get_status_display()}"
