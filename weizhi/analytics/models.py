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
