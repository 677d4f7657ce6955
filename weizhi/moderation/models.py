"""The one moderation queue for every member contribution: comments, submissions and, later,
study notes, readings and survey uploads. Each contribution model holds a one-to-one link to
its Item; the Item holds the state, the screen's marks and who decided when."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class State(models.TextChoices):
    PENDING = "pending", "待审"
    APPROVED = "approved", "通过"
    REJECTED = "rejected", "退回"


class Source(models.TextChoices):
    READER = "reader", "阅读端"
    WECHAT = "wechat", "微信"


class Kind(models.TextChoices):
    COMMENT = "comment", "文章留言"
    SUBMISSION = "submission", "投稿"
    NOTE = "note", "学习笔记"
    READING = "reading", "朗读"
    SURVEY = "survey", "问卷附件"


class ItemQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(state=State.PENDING)

    def approved(self):
        return self.filter(state=State.APPROVED)


class Item(models.Model):
    kind = models.CharField("类型", max_length=20, choices=Kind.choices, db_index=True)
    source = models.CharField("来源", max_length=10, choices=Source.choices, default=Source.READER)
    state = models.CharField(
        "状态", max_length=10, choices=State.choices, default=State.PENDING, db_index=True
    )
    featured = models.BooleanField("精选", default=False)
    member = models.ForeignKey(
        "audience.Member",
        verbose_name="党员",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contributions",
    )
    follower = models.ForeignKey(
        "audience.Follower",
        verbose_name="粉丝",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contributions",
    )
    author_name = models.CharField("作者", max_length=60, blank=True)
    title = models.CharField("标题", max_length=200, blank=True)
    text = models.TextField("内容")
    link = models.CharField("所在页面", max_length=300, blank=True)
    flagged = models.BooleanField("命中敏感词", default=False, db_index=True)
    screen_terms = models.JSONField("命中的词", default=list, blank=True)
    screen_categories = models.JSONField("命中的类别", default=list, blank=True)
    submitted_at = models.DateTimeField("提交时间", default=timezone.now, db_index=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    moderated_at = models.DateTimeField("审核时间", null=True, blank=True)
    reason = models.CharField("审核意见", max_length=200, blank=True)

    objects = ItemQuerySet.as_manager()

    class Meta:
        verbose_name = "待审内容"
        verbose_name_plural = "待审内容"
        ordering = ["-flagged", "-submitted_at"]
        permissions = [("moderate_item", "可以审核成员投稿和留言")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.text[:20]}"


class Action(models.TextChoices):
    SUBMITTED = "submitted", "提交"
    APPROVED = "approved", "通过"
    REJECTED = "rejected", "退回"
    FEATURED = "featured", "精选"
    UNFEATURED = "unfeatured", "取消精选"
    DELETED = "deleted", "删除"
    EDITED = "edited", "作者修改"


class Event(models.Model):
    """Who did what to an item, and when: the queue's audit trail."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="events")
    action = models.CharField("操作", max_length=12, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    member = models.ForeignKey(
        "audience.Member",
        verbose_name="操作党员",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField("理由", max_length=200, blank=True)
    at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "审核记录"
        verbose_name_plural = "审核记录"
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"
