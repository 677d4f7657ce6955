"""The inbox (留言): a work order per person's conversation, from arrival to 办结.

An Item holds one person's messages until it is resolved; the person writing again reopens it
(within INBOX_REOPEN_DAYS) or starts a new one. Every change of state is a Transition row.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from weizhi.audience.models import Branch, Follower, Member

ACTION_NAMES = {
    "receive": "受理",
    "append": "追加留言",
    "reopen": "重新打开",
    "assign": "派单",
    "reply": "答复",
    "resolve": "办结",
    "escalate": "超时督办",
    "rate": "回访评价",
    "ask_rating": "发送评价链接",
    "flag": "预警",
    "tags": "标签",
}


class Category(models.TextChoices):
    QUESTION = "question", "咨询"
    SUGGESTION = "suggestion", "建议"
    COMPLAINT = "complaint", "投诉"
    HELP = "help", "求助"
    PRAISE = "praise", "表扬"
    OTHER = "other", "其他"


class Status(models.TextChoices):
    NEW = "new", "待受理"
    ASSIGNED = "assigned", "办理中"
    REPLIED = "replied", "已答复"
    RESOLVED = "resolved", "已办结"


class Priority(models.IntegerChoices):
    NORMAL = 0, "普通"
    HIGH = 1, "优先"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"


class Department(models.Model):
    """A department that handles dispatched items (承办部门), with its handlers."""

    name = models.CharField("名称", max_length=60, unique=True)
    handlers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="inbox_departments",
        verbose_name="承办人",
    )

    class Meta:
        verbose_name = "承办部门"
        verbose_name_plural = "承办部门"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField("名称", max_length=20, unique=True)

    class Meta:
        verbose_name = "留言标签"
        verbose_name_plural = "留言标签"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ItemQuerySet(models.QuerySet):
    def open(self) -> ItemQuerySet:
        return self.exclude(status=Status.RESOLVED)

    def overdue(self, now=None) -> ItemQuerySet:
        now = now or timezone.now()
        return self.filter(status__in=[Status.NEW, Status.ASSIGNED], due_at__lt=now)

    def of_person(self, member: Member | None, follower: Follower | None) -> ItemQuerySet:
        q = Q(pk__in=[])
        if member is not None:
            q |= Q(member=member)
        if follower is not None:
            q |= Q(follower=follower)
        return self.filter(q)


class Item(models.Model):
    member = models.ForeignKey(
        Member,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inbox_items",
        verbose_name="党员",
    )
    follower = models.ForeignKey(
        Follower,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inbox_items",
        verbose_name="粉丝",
    )
    channel = models.CharField("渠道", max_length=20)
    summary = models.CharField("摘要", max_length=80)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.NEW)
    priority = models.SmallIntegerField("优先级", choices=Priority.choices, default=Priority.NORMAL)
    category = models.CharField("类别", max_length=12, choices=Category.choices, blank=True)
    warn = models.BooleanField("思想动态预警", default=False)
    warn_why = models.TextField("预警原因", blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbox_items",
        verbose_name="承办人",
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
        verbose_name="承办部门",
    )
    branch = models.ForeignKey(
        Branch,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inbox_items",
        verbose_name="承办支部",
    )
    due_at = models.DateTimeField("办理时限", null=True, blank=True, db_index=True)
    escalated_at = models.DateTimeField("督办时间", null=True, blank=True)
    created_at = models.DateTimeField("受理时间", default=timezone.now, db_index=True)
    last_message_at = models.DateTimeField("最近留言", default=timezone.now)
    first_reply_at = models.DateTimeField("首次答复", null=True, blank=True)
    resolved_at = models.DateTimeField("办结时间", null=True, blank=True)
    resolution_round = models.PositiveSmallIntegerField(default=0, editable=False)
    satisfaction = models.CharField(
        "满意度", max_length=12, choices=Satisfaction.choices, blank=True
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="items", verbose_name="标签")

    objects = ItemQuerySet.as_manager()

    class Meta:
        verbose_name = "留言"
        verbose_name_plural = "留言"
        ordering = ["-priority", "-last_message_at"]
        permissions = [
            ("manage_inbox", "管理全部留言（受理、派单、督办）"),
            ("handle_item", "办理派给本人、本部门或本支部的留言"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.summary}"

    @property
    def person_name(self) -> str:
        if self.member_id:
            return self.member.name
        if self.follower_id:
            return self.follower.remark or f"微信用户 {self.follower.openid[-6:]}"
        return "匿名"

    @property
    def handler_name(self) -> str:
        parts = [str(x) for x in (self.department, self.branch) if x is not None]
        if self.assignee_id:
            parts.append(self.assignee.get_full_name() or self.assignee.get_username())
        return "、".join(parts)

    def is_overdue(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.status in (Status.NEW, Status.ASSIGNED)
            and bool(self.due_at)
            and (self.due_at < now)
        )


class Message(models.Model):
    class Direction(models.TextChoices):
        IN = "in", "来信"
        OUT = "out", "答复"

    class Delivery(models.TextChoices):
        NONE = "", "—"
        PENDING = "pending", "发送中"
        ACCEPTED = "accepted", "已送达"
        REFUSED = "refused", "未送达"

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField("方向", max_length=3, choices=Direction.choices)
    channel = models.CharField("渠道", max_length=20)
    kind = models.CharField("消息类型", max_length=20, default="text")
    text = models.TextField("内容")
    external_id = models.CharField("渠道消息ID", max_length=64, blank=True)
    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="答复人",
    )
    delivery = models.CharField(
        "送达", max_length=10, choices=Delivery.choices, blank=True, default=""
    )
    delivery_detail = models.CharField("送达说明", max_length=200, blank=True)
    category = models.CharField("类别", max_length=12, choices=Category.choices, blank=True)
    warn = models.BooleanField("预警", default=False)
    why = models.TextField("原因", blank=True)
    classified_at = models.DateTimeField("分类时间", null=True, blank=True)

    class Meta:
        verbose_name = "留言消息"
        verbose_name_plural = "留言消息"
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~Q(external_id=""),
                name="inbox_message_external_once",
            )
        ]


class Note(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="作者"
    )
    text = models.TextField("内部备注")
    at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "内部备注"
        verbose_name_plural = "内部备注"
        ordering = ["at", "pk"]


class Transition(models.Model):
    """One step of an item's history (受理、派单、答复、办结、重开、督办、评价…)."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField("操作", max_length=20)
    from_status = models.CharField("原状态", max_length=10, blank=True)
    to_status = models.CharField("新状态", max_length=10, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="操作人",
    )
    at = models.DateTimeField("时间", default=timezone.now)
    detail = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "办理记录"
        verbose_name_plural = "办理记录"
        ordering = ["at", "pk"]

    @property
    def action_name(self) -> str:
        return ACTION_NAMES.get(self.action, self.action)

    @property
    def status_change(self) -> str:
        labels = dict(Status.choices)
        if not self.to_status:
            return ""
        if not self.from_status:
            return labels.get(self.to_status, "")
        return f"{labels.get(self.from_status, '')} → {labels.get(self.to_status, '')}"


class Snippet(models.Model):
    title = models.CharField("标题", max_length=40)
    text = models.TextField("答复内容", max_length=1000)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "快捷回复"
        verbose_name_plural = "快捷回复"
        ordering = ["sort_order", "pk"]

    def __str__(self) -> str:
        return self.title


class Rule(models.Model):
    """A weighted term or pattern of the classifier, editable by the 留言管理员."""

    # Its first rows come from a migration: a freshly migrated instance holding them is empty
    # for `restore`.
    seeded_by_migrations = True

    class Kind(models.TextChoices):
        WARN = "warn", "预警"
        CATEGORY = "category", "类别"

    kind = models.CharField("用途", max_length=10, choices=Kind.choices)
    label = models.CharField(
        "信号",
        max_length=20,
        help_text="预警规则填预警类型（如 安全隐患）；"
        "类别规则填：咨询、建议、投诉、求助、表扬、其他。",
    )
    term = models.CharField("词语或正则", max_length=200)
    is_pattern = models.BooleanField("按正则匹配", default=False)
    weight = models.FloatField("权重", default=1.0)
    reason = models.CharField("原因说明", max_length=100, blank=True)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "分类规则"
        verbose_name_plural = "分类规则"
        ordering = ["kind", "label", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}·{self.label}·{self.term}"

    def clean(self) -> None:
        names = [label for _, label in Category.choices]
        if self.kind == self.Kind.CATEGORY and self.label not in names + list(Category.values):
            raise ValidationError({"label": f"类别规则的信号须是：{'、'.join(names)}。"})
        if self.is_pattern:
            try:
                re.compile(self.term)
            except re.error as error:
                raise ValidationError({"term": f"正则表达式有误：{error}"}) from error


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_notifications"
    )
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField("内容", max_length=300)
    at = models.DateTimeField("时间", default=timezone.now)
    read_at = models.DateTimeField("已读", null=True, blank=True)

    class Meta:
        verbose_name = "留言提醒"
        verbose_name_plural = "留言提醒"
        ordering = ["-at", "-pk"]
