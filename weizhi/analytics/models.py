from django.conf import settings
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
    # Of those reads, the ones inside WeChat (MicroMessenger); elsewhere is the rest.
    wechat_reads = models.BigIntegerField("微信内阅读量", default=0, db_default=0)
    # Share callbacks of the JS-SDK (a reader chose 发送给朋友 or 分享到朋友圈).
    shares = models.BigIntegerField("分享数", default=0, db_default=0)

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


class DailyBranchReads(models.Model):
    """Reads of a page on a day by signed-in members of one branch, written by counter
    flushes (raw: pruned with the visitors once rolled up into DailyActivity)."""

    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    day = models.DateField("日期", db_index=True)
    branch = models.ForeignKey("audience.Branch", on_delete=models.CASCADE, related_name="+")
    reads = models.BigIntegerField("阅读量", default=0)

    class Meta:
        verbose_name = "每日各组织阅读"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["page", "day", "branch"], name="daily_branch_reads_once"
            )
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


class AppliedCounterBatch(models.Model):
    """A batch of read counts claimed in Redis whose counts are in the totals, kept while the
    batch is still in Redis, so that a flusher that finds it there (left by one that died after
    writing it, or being written by another right now) never counts it twice."""

    name = models.CharField("批次", max_length=64, primary_key=True)
    applied_at = models.DateTimeField("写入时间", auto_now_add=True)

    class Meta:
        verbose_name = "已写入的计数批次"
        verbose_name_plural = verbose_name


class ActivityKind(models.TextChoices):
    QUIZ = "quiz", "答题"
    READING = "reading", "诵读"
    NOTE = "note", "学习笔记"
    COMMENT = "comment", "留言评论"
    SUBMISSION = "submission", "投稿"
    SURVEY = "survey", "问卷"
    CHECKIN = "checkin", "签到"
    MESSAGE = "message", "来信"
    REPLY = "reply", "答复"
    # Article reads by signed-in members, from the read counters (people not counted).
    READ = "read", "阅读文章"
    SUBSCRIBE = "subscribe", "关注"
    UNSUBSCRIBE = "unsubscribe", "取消关注"


class ActivityEvent(models.Model):
    """One thing a member or follower did, written by events.record(); raw, pruned after
    ANALYTICS_RAW_DAYS once rolled up into DailyActivity."""

    kind = models.CharField("活动", max_length=16, choices=ActivityKind.choices)
    day = models.DateField("日期", db_index=True)
    at = models.DateTimeField("时间")
    member = models.ForeignKey(
        "audience.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    follower = models.ForeignKey(
        "audience.Follower", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    branch = models.ForeignKey(
        "audience.Branch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    key = models.CharField("去重键", max_length=100, blank=True)
    value = models.FloatField("数值", null=True, blank=True)

    class Meta:
        verbose_name = "活动事件"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key"], condition=~models.Q(key=""), name="activity_event_once"
            )
        ]


class DailyActivity(models.Model):
    """Events of one kind on one day in one branch (branch empty: no branch known)."""

    day = models.DateField("日期", db_index=True)
    kind = models.CharField("活动", max_length=16, choices=ActivityKind.choices)
    branch = models.ForeignKey(
        "audience.Branch", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    events = models.IntegerField("次数", default=0)
    people = models.IntegerField("人数", default=0)
    value_sum = models.FloatField("数值合计", default=0)
    value_count = models.IntegerField("有数值的次数", default=0)

    class Meta:
        verbose_name = "每日活动汇总"
        verbose_name_plural = verbose_name
        permissions = [
            ("view_dashboard", "查看数据统计"),
            ("view_all_units", "查看全部组织的数据统计"),
        ]
        # Covering: a dashboard's sums over a year are read from the index alone.
        indexes = [
            models.Index(
                fields=["day", "kind", "branch", "events", "people", "value_sum", "value_count"],
                name="daily_activity_cover",
            )
        ]


class DailyPageSummary(models.Model):
    """One page's day: reads, unique visitors and likes, with its column, kept after the raw
    visitors are pruned."""

    day = models.DateField("日期", db_index=True)
    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    column = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reads = models.BigIntegerField("阅读量", default=0)
    visitors = models.BigIntegerField("访客数", default=0)
    likes = models.BigIntegerField("点赞数", default=0)
    wechat_reads = models.BigIntegerField("微信内阅读量", default=0)
    shares = models.BigIntegerField("分享数", default=0)
    comments = models.BigIntegerField("留言数", default=0)

    class Meta:
        verbose_name = "每日页面汇总"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(fields=["page", "day"], name="daily_page_summary_once")
        ]


class MonthlyPageSummary(models.Model):
    """DailyPageSummary summed over a calendar month, rebuilt by the roll-up whenever a day of
    the month is rolled: a dashboard over a year reads twelve rows a page (and the days at
    its two ends) instead of 365. One row a page and column (a page moved to another column
    during the month has two)."""

    month = models.DateField("月份", help_text="当月第一天")
    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    column = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reads = models.BigIntegerField("阅读量", default=0)
    visitors = models.BigIntegerField("访客数", default=0)
    likes = models.BigIntegerField("点赞数", default=0)
    wechat_reads = models.BigIntegerField("微信内阅读量", default=0)
    shares = models.BigIntegerField("分享数", default=0)
    comments = models.BigIntegerField("留言数", default=0)

    class Meta:
        verbose_name = "每月页面汇总"
        verbose_name_plural = verbose_name
        indexes = [models.Index(fields=["month", "page"], name="monthly_page_summary_month")]


class MonthlyActivity(models.Model):
    """DailyActivity summed over a calendar month, rebuilt with it (see MonthlyPageSummary)."""

    month = models.DateField("月份", help_text="当月第一天")
    kind = models.CharField("活动", max_length=16, choices=ActivityKind.choices)
    branch = models.ForeignKey(
        "audience.Branch", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    events = models.IntegerField("次数", default=0)
    people = models.IntegerField("人数", default=0)
    value_sum = models.FloatField("数值合计", default=0)
    value_count = models.IntegerField("有数值的次数", default=0)

    class Meta:
        verbose_name = "每月活动汇总"
        verbose_name_plural = verbose_name
        indexes = [
            models.Index(
                fields=["month", "kind", "branch", "events", "people", "value_sum", "value_count"],
                name="monthly_activity_cover",
            )
        ]


class DailyAudience(models.Model):
    """Followers and members as they stood at the end of a day (for the over-time chart)."""

    day = models.DateField("日期", primary_key=True)
    followers = models.IntegerField("关注者", default=0)
    members = models.IntegerField("党员", default=0)
    bound = models.IntegerField("已绑定", default=0)

    class Meta:
        verbose_name = "每日用户数"
        verbose_name_plural = verbose_name


class RolledDay(models.Model):
    """A day whose raw events are in the aggregates (only such days are pruned)."""

    day = models.DateField("日期", primary_key=True)
    rolled_at = models.DateTimeField("汇总时间", auto_now=True)

    class Meta:
        verbose_name = "已汇总日期"
        verbose_name_plural = verbose_name


class ReportKind(models.TextChoices):
    WEEKLY = "weekly", "周报"
    MONTHLY = "monthly", "月报"
    CUSTOM = "custom", "自定义时段"


class ReportStatus(models.TextChoices):
    PENDING = "pending", "排队中"
    RUNNING = "running", "生成中"
    DONE = "done", "已完成"
    FAILED = "failed", "生成失败"


class Report(models.Model):
    """A report for the committee meeting: the numbers of one period and unit, frozen when it
    was generated (body: summary sentences and tables; docx: the Word file), so the copy
    handed to a meeting never changes when later reads are rolled up."""

    kind = models.CharField("类型", max_length=10, choices=ReportKind.choices)
    start = models.DateField("开始日期")
    end = models.DateField("结束日期")
    unit = models.ForeignKey(
        "audience.Branch",
        verbose_name="组织",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="空：全部组织",
    )
    unit_name = models.CharField("组织名称", max_length=100, default="全部组织")
    status = models.CharField(
        "状态", max_length=10, choices=ReportStatus.choices, default=ReportStatus.PENDING
    )
    error = models.CharField("失败原因", max_length=500, blank=True)
    scheduled = models.BooleanField("定时生成", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="生成人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    body = models.JSONField("内容", default=dict, blank=True)
    docx = models.BinaryField("Word 文件", null=True, blank=True)

    class Meta:
        verbose_name = "统计报告"
        verbose_name_plural = verbose_name
        ordering = ["-created_at", "-pk"]
        constraints = [
            # The scheduler makes each whole-organisation weekly/monthly report once.
            models.UniqueConstraint(
                fields=["kind", "start"],
                condition=models.Q(scheduled=True),
                name="scheduled_report_once",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return report_title(self.kind, self.unit_name)


def report_title(kind: str, unit_name: str) -> str:
    return f"{unit_name}数据统计{ {'weekly': '周报', 'monthly': '月报'}.get(kind, '报告') }"


class WeChatFamily(models.TextChoices):
    """Which of WeChat's statistics (datacube interfaces) a WeChatDaily row holds."""

    USERS = "users", "用户增减"  # key: user_source
    CUMULATE = "cumulate", "累计用户"  # key: ""
    ARTICLE = "article", "文章阅读"  # key: msgid ("<msg_data_id>_<index>")
    READ = "read", "图文阅读概况"  # key: user_source ("99999999": every channel)
    SHARE = "share", "图文分享"  # key: share_scene
    UPSTREAM = "upstream", "消息发送"  # key: msg_type


class WeChatDaily(models.Model):
    """One day of one of WeChat's own statistics, as the Official Account's datacube
    interfaces report it, kept beside ours. Written only by the daily pull (wechat app),
    which replaces a day's rows of a family, so pulling a day again gives the same rows."""

    day = models.DateField("日期")
    family = models.CharField("类别", max_length=16, choices=WeChatFamily.choices)
    key = models.CharField("键", max_length=64, blank=True)
    # The article's page, when the msgid is one of our sends (resolved at pull time).
    page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField("标题", max_length=200, blank=True)
    new_user = models.IntegerField("新增关注", default=0)
    cancel_user = models.IntegerField("取消关注", default=0)
    cumulate_user = models.IntegerField("累计关注", default=0)
    read_user = models.IntegerField("阅读人数", default=0)
    read_count = models.IntegerField("阅读次数", default=0)
    share_user = models.IntegerField("分享人数", default=0)
    share_count = models.IntegerField("分享次数", default=0)
    fav_user = models.IntegerField("收藏人数", default=0)
    fav_count = models.IntegerField("收藏次数", default=0)
    msg_user = models.IntegerField("发消息人数", default=0)
    msg_count = models.IntegerField("消息条数", default=0)

    class Meta:
        verbose_name = "微信统计"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(fields=["day", "family", "key"], name="wechat_daily_once")
        ]
        # Covering, page first: WeChat's reads of each article over a year are summed from
        # the index in page order, with no sort (30 ms for 300 articles a day, not 60).
        indexes = [
            models.Index(
                fields=[
                    "family",
                    "page",
                    "day",
                    "read_count",
                    "read_user",
                    "share_count",
                    "fav_count",
                ],
                name="wechat_daily_family_page",
            )
        ]


class WeChatPulledDay(models.Model):
    """A day whose WeChat statistics were all pulled (the backfill skips it)."""

    day = models.DateField("日期", primary_key=True)
    pulled_at = models.DateTimeField("拉取时间", auto_now=True)

    class Meta:
        verbose_name = "已拉取微信统计的日期"
        verbose_name_plural = verbose_name
