"""The question bank (题库), quiz activities, and the attempts members make at them."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from weizhi.audience.models import Branch, Member

from . import scoring


class Kind(models.TextChoices):
    SINGLE = scoring.SINGLE, "单选题"
    MULTIPLE = scoring.MULTIPLE, "多选题"
    JUDGE = scoring.JUDGE, "判断题"
    BLANK = scoring.BLANK, "填空题"


class Difficulty(models.IntegerChoices):
    EASY = 1, "易"
    MEDIUM = 2, "中"
    HARD = 3, "难"


class Partial(models.TextChoices):
    NONE = scoring.ALL_OR_NOTHING, scoring.PARTIAL_LABELS[scoring.ALL_OR_NOTHING]
    HALF = scoring.HALF, scoring.PARTIAL_LABELS[scoring.HALF]
    PROPORTIONAL = scoring.PROPORTIONAL, scoring.PARTIAL_LABELS[scoring.PROPORTIONAL]


class QuestionQuerySet(models.QuerySet):
    def enabled(self) -> QuestionQuerySet:
        return self.filter(enabled=True)


class Question(models.Model):
    """One question. ``answer`` is normalised (scoring.py): "AB", 对/错, or "甲|乙;丙"."""

    kind = models.CharField("题型", max_length=10, choices=Kind.choices)
    stem = models.TextField("题干", max_length=1000)
    # Compared to find duplicates on import: the stem folded (scoring.fold).
    stem_key = models.CharField(max_length=255, db_index=True, editable=False)
    options = models.JSONField("选项", default=list, blank=True)
    answer = models.CharField(
        "答案",
        max_length=500,
        help_text="选择题写字母，如 A 或 ABD；判断题写 对 或 错；"
        "填空题每空的可接受答案用 | 分隔，多个空用 ; 分隔。",
    )
    explanation = models.TextField("解析", max_length=2000, blank=True)
    category = models.CharField("分类", max_length=40, blank=True, db_index=True)
    difficulty = models.PositiveSmallIntegerField(
        "难度", choices=Difficulty.choices, default=Difficulty.EASY
    )
    score = models.PositiveSmallIntegerField("分值", default=1)
    partial = models.CharField(
        "部分得分",
        max_length=12,
        choices=Partial.choices,
        default=Partial.NONE,
        help_text="多选题少选、填空题部分填对时如何给分。",
    )
    source = models.CharField("出处", max_length=200, blank=True)
    enabled = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        verbose_name = "题目"
        verbose_name_plural = "题库"
        ordering = ["pk"]
        permissions = [("import_question", "导入题库")]

    def __str__(self) -> str:
        return self.stem[:40]

    def save(self, *args, **kwargs) -> None:
        self.stem_key = stem_key(self.stem)
        super().save(*args, **kwargs)

    def mark(self, given: str | list[str]) -> scoring.Marked:
        return scoring.mark(self.kind, self.answer, given, self.score, self.partial)

    @property
    def blanks(self) -> int:
        return scoring.blank_count(self.answer) if self.kind == Kind.BLANK else 0

    def answer_text(self) -> str:
        """The right answer as a member reads it on the result page."""
        if self.kind in (Kind.SINGLE, Kind.MULTIPLE):
            return "；".join(
                f"{letter}. {self.options[scoring.LETTERS.index(letter)]}"
                for letter in self.answer
                if scoring.LETTERS.index(letter) < len(self.options)
            )
        if self.kind == Kind.BLANK:
            return "；".join(
                "或".join(b.split(scoring.ALTERNATIVE_SEPARATOR))
                for b in self.answer.split(scoring.BLANK_SEPARATOR)
            )
        return self.answer


def stem_key(stem: str) -> str:
    return scoring.fold(stem)[:255]


class Mode(models.TextChoices):
    SELF_TEST = "selftest", "自测"
    DAILY = "daily", "每日一练"
    TOPIC = "topic", "专项"
    CHALLENGE = "challenge", "挑战"


class Audience(models.TextChoices):
    EVERYONE = "everyone", "名册中的所有人"
    PARTY = "party", "党员（含预备党员）"
    BRANCHES = "branches", "选定的党组织"


class Activity(models.Model):
    """A quiz members take: which questions are drawn, for how long, when, how often, by whom."""

    title = models.CharField("名称", max_length=60)
    mode = models.CharField("模式", max_length=10, choices=Mode.choices, default=Mode.SELF_TEST)
    question_count = models.PositiveSmallIntegerField(
        "题数", default=5, help_text="挑战模式为最多题数。"
    )
    quotas = models.TextField(
        "抽题配额",
        blank=True,
        help_text="可选，每行一条“分类或题型 数量”，如“党章 3”“判断题 2”；其余题目随机抽取。",
    )
    category = models.CharField(
        "限定分类", max_length=40, blank=True, help_text="专项答题只从这一分类抽题。"
    )
    time_limit = models.PositiveIntegerField(
        "限时（秒）", default=0, help_text="整场答题的时间，0 为不限时。自测一分钟填 60。"
    )
    opens_at = models.DateTimeField("开始时间", null=True, blank=True)
    closes_at = models.DateTimeField("结束时间", null=True, blank=True)
    attempts_per_day = models.PositiveSmallIntegerField(
        "每天次数", default=3, help_text="专项答题只能答一次，不看此项。"
    )
    audience = models.CharField(
        "参与范围", max_length=10, choices=Audience.choices, default=Audience.EVERYONE
    )
    branches = models.ManyToManyField(
        Branch,
        verbose_name="参与组织",
        blank=True,
        related_name="+",
        help_text="参与范围为“选定的党组织”时，这些组织及其下级组织的人可以参加。",
    )
    show_top = models.PositiveSmallIntegerField(
        "显示前几名", default=0, help_text="默认 0：不公布个人排名。"
    )
    enabled = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "答题活动"
        verbose_name_plural = "答题活动"
        ordering = ["-pk"]

    def __str__(self) -> str:
        return self.title

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.enabled
            and (self.opens_at is None or self.opens_at <= now)
            and (self.closes_at is None or now < self.closes_at)
        )

    @property
    def takes_guests(self) -> bool:
        """Open to everyone on the roster: only then may a live quiz of it let guests in."""
        return self.audience == Audience.EVERYONE


class Attempt(models.Model):
    """One member's go at an activity. ``drawn`` is fixed when it starts: the question ids in
    order, each with the order its options are shown in."""

    activity = models.ForeignKey(
        Activity, verbose_name="活动", on_delete=models.CASCADE, related_name="attempts"
    )
    member = models.ForeignKey(
        Member, verbose_name="党员", on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    day = models.DateField("日期")
    number = models.PositiveSmallIntegerField("当天第几次")
    started_at = models.DateTimeField("开始时间", default=timezone.now)
    deadline = models.DateTimeField("截止时间", null=True, blank=True)
    finished_at = models.DateTimeField("交卷时间", null=True, blank=True)
    drawn = models.JSONField("抽到的题目", default=list)
    score = models.DecimalField("得分", max_digits=7, decimal_places=1, default=0)
    max_score = models.PositiveIntegerField("满分", default=0)
    correct_count = models.PositiveSmallIntegerField("答对题数", default=0)

    class Meta:
        verbose_name = "答题记录"
        verbose_name_plural = "答题记录"
        ordering = ["-started_at"]
        constraints = [
            # Two requests that start "the next attempt" at once cannot both be it.
            models.UniqueConstraint(
                fields=["activity", "member", "day", "number"], name="quiz_attempt_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.activity}"

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    def question_ids(self) -> list[int]:
        return [d["q"] for d in self.drawn]


class Answer(models.Model):
    """One answer to one drawn question; at most one per question, whatever is retried."""

    wagtail_reference_index_ignore = True

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    given = models.JSONField("作答", default=list)
    correct = models.BooleanField("正确", default=False)
    points = models.DecimalField("得分", max_digits=5, decimal_places=1, default=0)
    key = models.CharField("幂等键", max_length=64, blank=True)
    answered_at = models.DateTimeField("作答时间", default=timezone.now)

    class Meta:
        verbose_name = "作答"
        verbose_name_plural = "作答"
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question"], name="quiz_answer_once")
        ]


class Phase(models.TextChoices):
    LOBBY = "lobby", "等待开始"
    QUESTION = "question", "答题中"
    REVEAL = "reveal", "公布答案"
    ENDED = "ended", "已结束"


class Board(models.TextChoices):
    PEOPLE = "people", "个人"
    BRANCHES = "branches", "党组织（平均分）"


class LiveSession(models.Model):
    """A 现场竞答: the host shows one question at a time on a screen; phones answer it.

    ``version`` changes with every step the host takes, so what the phones poll can be cached
    per version; ``drawn`` is fixed when the session opens, like an attempt's."""

    activity = models.ForeignKey(
        Activity, verbose_name="答题活动", on_delete=models.CASCADE, related_name="live_sessions"
    )
    code = models.CharField("加入码", max_length=8, unique=True)
    host = models.ForeignKey(
        "auth.User", verbose_name="主持人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    branch = models.ForeignKey(
        Branch, verbose_name="所属组织", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", help_text="支部书记主持时为其组织；空为全体。",
    )  # fmt: skip
    allow_guests = models.BooleanField("允许访客填写姓名参加", default=False)
    board = models.CharField("排行榜", max_length=10, choices=Board.choices, default=Board.PEOPLE)
    seconds = models.PositiveSmallIntegerField("每题限时（秒）", default=20)
    drawn = models.JSONField(default=list)
    index = models.SmallIntegerField("当前题号", default=-1)
    phase = models.CharField("状态", max_length=10, choices=Phase.choices, default=Phase.LOBBY)
    shown_at = models.DateTimeField("出题时间", null=True, blank=True)
    deadline = models.DateTimeField("本题截止", null=True, blank=True)
    version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "现场竞答"
        verbose_name_plural = "现场竞答"
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.activity} · {self.code}"

    @property
    def guests_welcome(self) -> bool:
        """Guests may join only if the host allowed them and the activity is not limited to
        party members or chosen organisations (its audience may have narrowed since)."""
        return self.allow_guests and self.activity.takes_guests


class LivePlayer(models.Model):
    """One phone's seat in a session: a roster member (one seat each, whatever device they
    come back on) or a guest who gave a name (their seat follows their browser session)."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="players")
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    branch = models.ForeignKey(
        Branch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField("姓名", max_length=20)
    token = models.CharField(max_length=32, unique=True)
    score = models.PositiveIntegerField("得分", default=0)
    joined_at = models.DateTimeField("加入时间", default=timezone.now)

    class Meta:
        verbose_name = "竞答参与者"
        verbose_name_plural = "竞答参与者"
        constraints = [
            models.UniqueConstraint(
                fields=["session", "member"], name="quiz_live_member_once",
                condition=models.Q(member__isnull=False),
            )
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.name


class LiveAnswer(models.Model):
    """One player's answer to one question of the session; the constraint counts it once."""

    wagtail_reference_index_ignore = True

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="answers")
    player = models.ForeignKey(LivePlayer, on_delete=models.CASCADE, related_name="answers")
    index = models.PositiveSmallIntegerField("题号")
    given = models.CharField("作答", max_length=16)
    correct = models.BooleanField("正确", default=False)
    points = models.PositiveIntegerField("得分", default=0)
    answered_at = models.DateTimeField("作答时间", default=timezone.now)

    class Meta:
        verbose_name = "竞答作答"
        verbose_name_plural = "竞答作答"
        constraints = [
            models.UniqueConstraint(fields=["player", "index"], name="quiz_live_answer_once")
        ]
        indexes = [models.Index(fields=["session", "index"], name="quiz_live_answer_q")]
