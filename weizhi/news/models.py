"""Feeds of official sources that editors register, and the items read from them."""

from django.db import models


class FeedQuerySet(models.QuerySet):
    def active(self) -> "FeedQuerySet":
        return self.filter(active=True)


class Feed(models.Model):
    name = models.CharField(
        "来源名称", max_length=50, help_text="列表中显示的来源，如：人民网·党建"
    )
    url = models.URLField("订阅地址", max_length=500, unique=True, help_text="RSS 或 Atom 地址")
    active = models.BooleanField("启用", default=True)
    etag = models.CharField(max_length=200, blank=True, editable=False)
    last_modified = models.CharField(max_length=100, blank=True, editable=False)
    checked_at = models.DateTimeField("上次抓取", null=True, blank=True, editable=False)
    last_result = models.CharField("抓取结果", max_length=200, blank=True, editable=False)
    failures = models.PositiveIntegerField("连续失败次数", default=0, editable=False)
    created_at = models.DateTimeField("添加时间", auto_now_add=True)

    objects = FeedQuerySet.as_manager()

    class Meta:
        verbose_name = "资讯来源"
        verbose_name_plural = "资讯来源"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FeedItemQuerySet(models.QuerySet):
    def listed(self) -> "FeedItemQuerySet":
        return self.filter(feed__active=True).select_related("feed")

    def newest_first(self) -> "FeedItemQuerySet":
        return self.order_by(models.F("published_at").desc(nulls_last=True), "-pk")


class FeedItem(models.Model):
    feed = models.ForeignKey(
        Feed, verbose_name="来源", related_name="items", on_delete=models.CASCADE
    )
    # The same article in two feeds, or fetched twice, is one item: the key is the
    # SHA-256 of its link without fragment.
    key = models.CharField(max_length=64, unique=True, editable=False)
    guid = models.CharField(max_length=500, editable=False)
    title = models.CharField("标题", max_length=300)
    link = models.URLField("原文链接", max_length=1000)
    summary = models.CharField("摘要", max_length=300, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    fetched_at = models.DateTimeField("抓取时间", auto_now_add=True)
    repost = models.ForeignKey(
        "content.RepostPage",
        verbose_name="转载稿",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = FeedItemQuerySet.as_manager()

    class Meta:
        verbose_name = "资讯条目"
        verbose_name_plural = "资讯条目"
        indexes = [models.Index(fields=["-published_at"], name="news_item_newest")]

    def __str__(self) -> str:
        return self.title

    @property
    def date(self):
        return self.published_at or self.fetched_at
