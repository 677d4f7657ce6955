from django.db import models


class PageStats(models.Model):
    """Running totals for one page, written only by counter flushes and likes."""

    page = models.OneToOneField(
        "wagtailcore.Page", primary_key=True, on_delete=models.CASCADE, related_name="stats"
    )
    reads = models.BigIntegerField("阅读量", default=0)
    visitors = models.BigIntegerField("访客数", default=0)
    likes = models.BigIntegerField("点赞数", default=0)

    class Meta:
        verbose_name = "页面统计"
        verbose_name_plural = verbose_name


class DailyPageStats(models.Model):
    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    day = models.DateField("日期")
    reads = models.BigIntegerField("阅读量", default=0)

    class Meta:
        verbose_name = "每日阅读"
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["page", "day"], name="daily_stats_page_day")]


class DailyVisitor(models.Model):
    """One row per reader per page per day: the unique-visitor (UV) count is their number."""

    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    day = models.DateField("日期")
    reader = models.CharField("读者标识", max_length=32)

    class Meta:
        verbose_name = "每日访客"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(fields=["page", "day", "reader"], name="daily_visitor_unique")
        ]


class Like(models.Model):
    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    reader = models.CharField("读者标识", max_length=32)
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "点赞"
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["page", "reader"], name="like_unique")]


class AppliedJournal(models.Model):
    """A read journal whose counts are in the totals, kept until its file is gone, so that
    replaying a journal left by a process that died after writing it never counts it twice."""

    name = models.CharField("日志文件", max_length=64, primary_key=True)
    applied_at = models.DateTimeField("写入时间", auto_now_add=True)

    class Meta:
        verbose_name = "已写入的阅读日志"
        verbose_name_plural = verbose_name
