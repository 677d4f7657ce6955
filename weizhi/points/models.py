"""Points (积分): the rules editors set, and the ledger every change is written to."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from weizhi.audience.models import Follower, Member


class Rule(models.Model):
    """How many points one action earns, and at most how many a day."""

    # Its first rows come from a migration: a freshly migrated instance holding them is empty
    # for `restore`.
    seeded_by_migrations = True

    action = models.SlugField(
        "动作代码", max_length=40, unique=True, help_text="程序调用时使用的代码，如 quiz_finish。"
    )
    name = models.CharField("名称", max_length=40)
    points = models.PositiveSmallIntegerField("每次积分", default=1)
    daily_cap = models.PositiveSmallIntegerField("每日上限", default=0, help_text="0 为不设上限。")
    min_seconds = models.PositiveSmallIntegerField(
        "最短时长（秒）", default=0, help_text="阅读类动作需达到的时长，0 为不要求。"
    )
    enabled = models.BooleanField("启用", default=True)
    note = models.CharField("说明", max_length=100, blank=True)

    class Meta:
        verbose_name = "积分规则"
        verbose_name_plural = "积分规则"
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class Entry(models.Model):
    """One change of someone's points: an award (once per action and key) or a deduction.

    ``subject`` is "m<id>" for a roster member, "f<id>" for a follower not bound to one, so
    one unique constraint makes awards idempotent whoever earns them."""

    wagtail_reference_index_ignore = True  # no page or snippet refers to a ledger row

    subject = models.CharField(max_length=24, db_index=True, editable=False)
    member = models.ForeignKey(
        Member, verbose_name="党员", null=True, blank=True, on_delete=models.CASCADE,
        related_name="point_entries",
    )  # fmt: skip
    follower = models.ForeignKey(
        Follower, verbose_name="粉丝", null=True, blank=True, on_delete=models.CASCADE,
        related_name="point_entries",
    )  # fmt: skip
    action = models.CharField("动作", max_length=40)
    key = models.CharField("来源", max_length=120)
    points = models.IntegerField("积分")
    day = models.DateField("日期", db_index=True)
    at = models.DateTimeField("时间", default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    reason = models.CharField("原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "积分记录"
        verbose_name_plural = "积分记录"
        ordering = ["-at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["subject", "action", "key"], name="points_once")
        ]
        permissions = [("deduct_points", "扣减积分")]

    def __str__(self) -> str:
        return f"{self.action} {self.points:+d}"
