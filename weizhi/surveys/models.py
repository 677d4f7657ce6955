"""Surveys, polls and sign-ups: one questionnaire model, its questions, and the responses.

Anonymity is kept by the shape of the tables: in an anonymous survey a Response holds no
member, branch, follower, session or precise time, and the row that enforces one response
per person (Participation) holds only a keyed digest of the person, with no key, time or
order shared with the answers — there is nothing to join on.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

from weizhi.audience.models import Branch, FollowerTag, Member, PoliticalStatus

from . import logic


class SurveyQuerySet(models.QuerySet):
    def open_now(self) -> SurveyQuerySet:
        now = timezone.now()
        return self.filter(
            models.Q(opens_at__isnull=True) | models.Q(opens_at__lte=now),
            models.Q(closes_at__isnull=True) | models.Q(closes_at__gt=now),
            published=True,
        )


class Survey(ClusterableModel):
    """A questionnaire: a topic survey (话题调查), a poll (评选) or a sign-up (报名)."""

    class Kind(models.TextChoices):
        SURVEY = "survey", "话题调查"
        POLL = "poll", "评选投票"
        SIGNUP = "signup", "活动报名"

    class Audience(models.TextChoices):
        EVERYONE = "everyone", "所有人"
        MEMBERS = "members", "在册党员"
        BRANCHES = "branches", "指定党组织的党员"
        TAGGED = "tagged", "带指定标签的粉丝"

    title = models.CharField("标题", max_length=80)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.SURVEY)
    intro = models.TextField("说明", blank=True, max_length=2000)
    published = models.BooleanField("发布", default=False, help_text="发布后才能通过链接作答。")
    opens_at = models.DateTimeField("开始时间", null=True, blank=True)
    closes_at = models.DateTimeField("截止时间", null=True, blank=True)
    anonymous = models.BooleanField(
        "匿名",
        default=False,
        help_text="匿名问卷的答卷不记录任何能对应到个人的信息，连管理员也无法查到谁答了什么。",
    )
    audience = models.CharField(
        "答题范围", max_length=10, choices=Audience.choices, default=Audience.MEMBERS
    )
    branches = models.ManyToManyField(
        Branch,
        verbose_name="指定党组织",
        blank=True,
        related_name="+",
        help_text="答题范围为“指定党组织的党员”时，这些组织及其下级组织的党员可以作答。",
    )
    tag = models.ForeignKey(
        FollowerTag,
        verbose_name="粉丝标签",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    capacity = models.PositiveIntegerField(
        "报名名额", null=True, blank=True, help_text="活动报名的人数上限；报满后再报名的进入候补。"
    )
    results_public = models.BooleanField("答题后可看结果", default=False)
    thanks = models.TextField("感谢语", blank=True, default="感谢您的参与！", max_length=500)
    is_template = models.BooleanField(
        "作为模板", default=False, help_text="模板不能作答，可用来复制出新问卷。"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = SurveyQuerySet.as_manager()

    class Meta:
        verbose_name = "问卷"
        verbose_name_plural = "问卷"
        ordering = ["-created_at"]
        permissions = [("view_results", "查看问卷结果")]

    def __str__(self) -> str:
        return self.title

    def is_open(self) -> bool:
        now = timezone.now()
        return (
            self.published
            and not self.is_template
            and (self.opens_at is None or self.opens_at <= now)
            and (self.closes_at is None or now < self.closes_at)
        )

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        renumber(self)

    def items(self) -> list[logic.Item]:
        """The questionnaire as the rules see it: codes Q1, Q2 … and page numbers."""
        return [q.item() for q in self.questions.all()]


class Question(Orderable):
    KINDS = [
        (logic.SINGLE, "单选题"),
        (logic.MULTIPLE, "多选题"),
        (logic.RATING, "星级评分（1–5）"),
        (logic.NPS, "推荐度（0–10）"),
        (logic.MATRIX, "矩阵题"),
        (logic.RANKING, "排序题"),
        (logic.TEXT, "填空（单行）"),
        (logic.TEXTAREA, "简答（多行）"),
        (logic.NUMBER, "数字"),
        (logic.DATE, "日期"),
        (logic.FILE, "上传图片"),
        (logic.DESCRIPTION, "说明文字"),
        (logic.PAGE_BREAK, "分页"),
    ]

    survey = ParentalKey(Survey, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField("题型", max_length=12, choices=KINDS, default=logic.SINGLE)
    title = models.CharField("题目", max_length=300, blank=True)
    required = models.BooleanField("必答", default=True)
    options = models.TextField(
        "选项",
        blank=True,
        help_text="每行一个选项。可在选项后加：[其他]（需填写说明）、[限额30]、[跳到第3页]、[结束]。"
        "矩阵题在这里写评价等级。",
    )
    rows = models.TextField("矩阵行", blank=True, help_text="矩阵题每行一个评价对象。")
    min_choices = models.PositiveSmallIntegerField("最少选", null=True, blank=True)
    max_choices = models.PositiveSmallIntegerField("最多选", null=True, blank=True)
    max_length = models.PositiveSmallIntegerField(
        "字数上限", null=True, blank=True, help_text="单行最多 200 字，多行最多 2000 字。"
    )
    min_value = models.FloatField("最小值", null=True, blank=True)
    max_value = models.FloatField("最大值", null=True, blank=True)
    shuffle = models.BooleanField("选项随机排序", default=False)
    show_if = models.CharField(
        "显示条件",
        max_length=200,
        blank=True,
        help_text="留空则总是显示。例：Q2=A、Q2=A|B、Q5>=4，可用“且”“或”连接；"
        "只能引用排在本题前面的题目（同一页靠前的题目也可以，作答时随选择即时显示或隐藏）。",
    )
    code = models.CharField("题号", max_length=8, blank=True, editable=False)
    page = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta(Orderable.Meta):
        verbose_name = "题目"
        verbose_name_plural = "题目"

    def __str__(self) -> str:
        return f"{self.code} {self.title}".strip()

    def item(self) -> logic.Item:
        options = logic.parse_options(self.options) if self.kind in logic.OPTION_KINDS else []
        return logic.Item(
            code=self.code,
            kind=self.kind,
            title=self.title,
            required=self.required and self.kind not in logic.NOT_ANSWERED,
            options=options,
            rows=[r.strip() for r in self.rows.splitlines() if r.strip()],
            min_choices=self.min_choices,
            max_choices=self.max_choices,
            max_length=self.max_length,
            min_value=self.min_value,
            max_value=self.max_value,
            shuffle=self.shuffle,
            condition=logic.parse_condition(self.show_if),
            page=self.page,
        )


def number_questions(questions: list[Question]) -> None:
    """Gives each question its code (Q1 …, counting answered questions) and page number."""
    n = page = 0
    for q in questions:
        if q.kind == logic.PAGE_BREAK:
            page += 1
            q.code = ""
        elif q.kind == logic.DESCRIPTION:
            q.code = ""
        else:
            n += 1
            q.code = f"Q{n}"
        q.page = page


def renumber(survey: Survey) -> None:
    questions = list(Question.objects.filter(survey=survey).order_by("sort_order", "pk"))
    number_questions(questions)
    Question.objects.bulk_update(questions, ["code", "page"])


class Response(models.Model):
    """One submitted questionnaire. For a named survey it says who and from which branch
    (kept as it was when they answered); for an anonymous one nothing but the day."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    answers = models.JSONField("答案", default=dict)
    submitted_on = models.DateField("提交日期")
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    member = models.ForeignKey(
        Member, verbose_name="党员", null=True, blank=True, on_delete=models.SET_NULL
    )
    branch = models.ForeignKey(
        Branch,
        verbose_name="所属组织",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        "政治面貌", max_length=12, choices=PoliticalStatus.choices, blank=True
    )
    cancelled_at = models.DateTimeField("取消时间", null=True, blank=True)
    waiting = models.BooleanField("候补", default=False)

    class Meta:
        verbose_name = "答卷"
        verbose_name_plural = "答卷"
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "member"],
                condition=models.Q(member__isnull=False, cancelled_at__isnull=True),
                name="surveys_one_named_response",
            )
        ]


class Participation(models.Model):
    """That a person has answered a survey: the database's guarantee of one response each.

    ``token`` is an HMAC of the survey and the person under the site's secret; the row has a
    random key and no time, so it cannot be lined up with the answers it allowed.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64)

    class Meta:
        verbose_name = "参与记录"
        verbose_name_plural = "参与记录"
        constraints = [
            models.UniqueConstraint(fields=["survey", "token"], name="surveys_one_per_person")
        ]


class QuotaClaim(models.Model):
    """One of an option's places: slot numbers 1..quota, unique, so a full option is full in
    the database whatever two phones submit at the same moment."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=8)
    option = models.CharField(max_length=2)
    slot = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "code", "option", "slot"], name="surveys_one_claim_per_slot"
            )
        ]


class Draft(models.Model):
    """Answers saved page by page, to resume on the phone; deleted when submitted."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64)
    answers = models.JSONField(default=dict)
    page = models.PositiveSmallIntegerField(default=0)
    visited = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "token"], name="surveys_one_draft")
        ]


def _meeting_secret() -> str:
    return uuid.uuid4().hex


class Meeting(models.Model):
    """A meeting members check in to by scanning a code that changes every 30 seconds."""

    title = models.CharField("会议名称", max_length=80)
    location = models.CharField("地点", max_length=80, blank=True)
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    expected_branches = models.ManyToManyField(
        Branch,
        verbose_name="应到党组织",
        blank=True,
        related_name="+",
        help_text="这些组织及其下级组织的在册党员为应到人员。",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="创建人",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The key of this meeting's check-in codes: codes of one meeting are no use at another.
    secret = models.CharField(max_length=32, default=_meeting_secret, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "会议签到"
        verbose_name_plural = "会议签到"
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return self.title


class CheckIn(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="checkins")
    member = models.ForeignKey(Member, verbose_name="党员", on_delete=models.CASCADE)
    at = models.DateTimeField("签到时间", default=timezone.now)

    class Meta:
        verbose_name = "签到记录"
        verbose_name_plural = "签到记录"
        ordering = ["at"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="surveys_check_in_once")
        ]
