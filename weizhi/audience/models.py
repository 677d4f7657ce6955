import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from wagtail.models.audit_log import BaseLogEntry, ModelLogEntryManager


class FollowerTag(models.Model):
    """A WeChat user tag (标签), mirrored locally; wechat_id is null until created in WeChat."""

    name = models.CharField("名称", max_length=30, unique=True)
    wechat_id = models.IntegerField("微信标签ID", null=True, blank=True, unique=True)

    class Meta:
        verbose_name = "粉丝标签"
        verbose_name_plural = "粉丝标签"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Follower(models.Model):
    """Someone who follows (or once followed) the Official Account, known by their openid."""

    openid = models.CharField("OpenID", max_length=64, unique=True)
    unionid = models.CharField("UnionID", max_length=64, blank=True)
    remark = models.CharField("备注名", max_length=30, blank=True)
    subscribed = models.BooleanField("已关注", default=True, db_index=True)
    subscribed_at = models.DateTimeField("关注时间", null=True, blank=True)
    unsubscribed_at = models.DateTimeField("取消关注时间", null=True, blank=True)
    subscribe_scene = models.CharField("关注渠道", max_length=40, blank=True)
    qr_scene = models.CharField("二维码场景", max_length=64, blank=True)
    language = models.CharField("语言", max_length=16, blank=True)
    last_message_at = models.DateTimeField("最近互动", null=True, blank=True)
    tags = models.ManyToManyField(FollowerTag, blank=True, related_name="followers")
    simulated = models.BooleanField(
        "模拟粉丝", default=False, help_text="由公众号模拟器创建，不是真实的微信用户。"
    )
    created_at = models.DateTimeField("首次出现", auto_now_add=True)
    member = models.OneToOneField(
        "Member",
        verbose_name="绑定党员",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follower",
    )

    class Meta:
        verbose_name = "粉丝"
        verbose_name_plural = "粉丝"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.remark or self.openid


class BranchKind(models.TextChoices):
    COMMITTEE = "committee", "党委"
    GENERAL_BRANCH = "general", "党总支"
    BRANCH = "branch", "党支部"


class PoliticalStatus(models.TextChoices):
    FULL = "full", "正式党员"
    PROBATIONARY = "probationary", "预备党员"
    ACTIVIST = "activist", "入党积极分子"
    LEAGUE = "league", "共青团员"
    MASSES = "masses", "群众"


PARTY_STATUSES = (PoliticalStatus.FULL, PoliticalStatus.PROBATIONARY)
# One path segment per level: the sort order first, so that ordering by path lists the tree
# depth-first in the editors' order; the id after it keeps every segment unique.
SEGMENT = "{sort:04d}{pk:08d}/"
SEGMENT_LEN = 13


class BranchQuerySet(models.QuerySet):
    def subtree_of(self, branch: "Branch") -> "BranchQuerySet":
        return self.filter(path__startswith=branch.path)


class Branch(models.Model):
    """A party organisation: 党委, 党总支 or 党支部, nested to any depth.

    ``path`` is a materialised path kept by save(), so a whole subtree is one indexed
    ``LIKE 'prefix%'`` query, for the tree and for every member of a subtree.
    """

    name = models.CharField("名称", max_length=60)
    kind = models.CharField("类型", max_length=10, choices=BranchKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    sort_order = models.PositiveSmallIntegerField("排序", default=0, help_text="数字小的排在前面")
    path = models.CharField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=1, editable=False)
    secretaries = models.ManyToManyField(
        "Member", verbose_name="书记", blank=True, related_name="secretary_of"
    )
    committee_members = models.ManyToManyField(
        "Member", verbose_name="委员", blank=True, related_name="committee_of"
    )

    objects = BranchQuerySet.as_manager()

    class Meta:
        verbose_name = "党组织"
        verbose_name_plural = "党组织"
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        with transaction.atomic():
            if self.pk is None:
                # The path needs the id; a unique placeholder holds the row until it has one.
                self.path = f"~{uuid.uuid4().hex}"
                super().save(*args, **kwargs)
                kwargs = {}
            self._place(*args, **kwargs)

    def _place(self, *args, **kwargs) -> None:
        old = Branch.objects.filter(pk=self.pk).values_list("path", flat=True).get()
        parent_path = self.parent.path if self.parent_id else ""
        if parent_path.startswith(old) and not old.startswith("~"):
            raise ValueError("a branch cannot move under its own subtree")
        new = parent_path + self.segment()
        self.path, self.depth = new, new.count("/")
        super().save(*args, **kwargs)
        if new != old and not old.startswith("~"):
            # Moving or re-sorting carries the whole subtree along in one statement.
            Branch.objects.filter(path__startswith=old).exclude(pk=self.pk).update(
                path=Concat(Value(new), Substr("path", len(old) + 1)),
                depth=F("depth") + (self.depth - old.count("/")),
            )

    def clean(self) -> None:
        if self.pk and self.parent_id and self.parent.path.startswith(self.path):
            raise ValidationError({"parent": "上级组织不能是它自己或它的下级组织。"})

    def is_within(self, *ancestors: "Branch") -> bool:
        """This organisation is one of `ancestors` or below one of them."""
        return any(self.path.startswith(a.path) for a in ancestors)

    @property
    def indented_name(self) -> str:
        return "\u3000" * (self.depth - 1) + self.name

    indented_name.fget.short_description = "名称"

    def segment(self) -> str:
        return SEGMENT.format(sort=min(self.sort_order, 9999), pk=self.pk)

    def full_name(self) -> str:
        return "/".join(b.name for b in self.ancestors_and_self())

    def ancestors_and_self(self) -> list["Branch"]:
        prefixes = [self.path[: i + SEGMENT_LEN] for i in range(0, len(self.path), SEGMENT_LEN)]
        return list(Branch.objects.filter(path__in=prefixes).order_by("depth"))


class RoleTag(models.Model):
    """A role a member holds besides their political status: 办公系统, 政工干部 …"""

    name = models.CharField("名称", max_length=20, unique=True)

    class Meta:
        verbose_name = "角色标签"
        verbose_name_plural = "角色标签"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MemberQuerySet(models.QuerySet):
    def in_subtree(self, branch: Branch) -> "MemberQuerySet":
        return self.filter(branch__path__startswith=branch.path)

    def active(self) -> "MemberQuerySet":
        return self.filter(active=True)


class Member(models.Model):
    """A person on the roster (党员名册), whether or not they follow the Official Account."""

    name = models.CharField("姓名", max_length=30, db_index=True)
    employee_number = models.CharField("工号", max_length=20, unique=True)
    phone = models.CharField("手机号", max_length=11, blank=True)
    department = models.CharField("部门", max_length=60, blank=True)
    branch = models.ForeignKey(
        Branch, verbose_name="所属组织", on_delete=models.PROTECT, related_name="members"
    )
    status = models.CharField(
        "政治面貌", max_length=12, choices=PoliticalStatus.choices, db_index=True
    )
    role_tags = models.ManyToManyField(
        RoleTag, verbose_name="角色标签", blank=True, related_name="members"
    )
    joined_on = models.DateField("入党日期", null=True, blank=True)
    active = models.BooleanField("在册", default=True, help_text="调离或退出后取消勾选，保留记录。")
    left_on = models.DateField("离开日期", null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="后台账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member",
        help_text="支部书记登录后台所用的账号。",
    )
    # A Django password hash, set by the member on first login to the H5 pages.
    password = models.CharField(max_length=128, blank=True, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = "党员"
        verbose_name_plural = "党员名册"
        ordering = ["branch__path", "employee_number"]
        permissions = [
            ("view_full_phone", "查看完整手机号"),
            ("import_member", "导入党员名册"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.employee_number}）"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) == 11 else ("****" if phone else "")


class BranchMembership(models.Model):
    """Which branch a member belonged to and when; the open row (no end) is the current one."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="memberships")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="memberships")
    started_at = models.DateTimeField("转入时间", default=timezone.now)
    ended_at = models.DateTimeField("转出时间", null=True, blank=True)

    class Meta:
        verbose_name = "组织关系记录"
        verbose_name_plural = "组织关系记录"
        ordering = ["started_at", "pk"]


class BindingRequest(models.Model):
    """A follower asking an administrator to bind them to a roster member."""

    class State(models.TextChoices):
        PENDING = "pending", "待审核"
        APPROVED = "approved", "已通过"
        REJECTED = "rejected", "已驳回"

    follower = models.ForeignKey(
        Follower, verbose_name="粉丝", on_delete=models.CASCADE, related_name="binding_requests"
    )
    member = models.ForeignKey(
        Member, verbose_name="党员", on_delete=models.CASCADE, related_name="binding_requests"
    )
    note = models.CharField("说明", max_length=200, blank=True)
    state = models.CharField(
        "状态", max_length=10, choices=State.choices, default=State.PENDING, db_index=True
    )
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="处理人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "绑定申请"
        verbose_name_plural = "绑定申请"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.member.name} ← {self.follower}"


class AuditEntry(models.Model):
    """Who changed whom in the audience, and every roster export: one row per event."""

    class Action(models.TextChoices):
        MOVE = "move", "调整组织关系"
        BIND = "bind", "绑定"
        UNBIND = "unbind", "解除绑定"
        REQUEST = "request", "申请绑定"
        REJECT = "reject", "驳回绑定"
        IMPORT = "import", "导入名册"
        EXPORT = "export", "导出名册"
        PASSWORD = "password", "设置登录密码"
        PROFILE = "profile", "修改资料"
        LOGIN_LINK = "login_link", "签发登录链接"
        RESET = "reset", "清除登录密码"

    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    action = models.CharField("操作", max_length=12, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    by_member = models.ForeignKey(
        Member,
        verbose_name="本人操作",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    member = models.ForeignKey(
        Member,
        verbose_name="党员",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    follower = models.ForeignKey(
        Follower,
        verbose_name="粉丝",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    detail = models.JSONField("详情", default=dict, blank=True)

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"


class RosterLogEntryManager(ModelLogEntryManager):
    # Who sees which entries is scope.py's rule, and scope.py builds on this module: the
    # app's ready() hands the rule in (see_through). Until then no entry is seen.
    _rule: Callable[[Any, QuerySet], QuerySet] | None = None

    @classmethod
    def see_through(cls, rule: Callable[[Any, QuerySet], QuerySet]) -> None:
        cls._rule = staticmethod(rule)

    def viewable_by_user(self, user):
        # Not Wagtail's own check, which caches the permitted content types on the user
        # for whichever log model asks first.
        if self._rule is None:
            return self.none()
        return self._rule(user, self.all())


class RosterLogEntry(BaseLogEntry):
    """Wagtail's log entries (报告 → 网站历史, each object's 历史) for the roster's models,
    kept apart from ModelLogEntry so that every log view shows a user only the entries about
    members, branches and followers they may see (scope.py)."""

    object_id = models.CharField(max_length=255, db_index=True)

    objects = RosterLogEntryManager()

    class Meta(BaseLogEntry.Meta):
        ordering = ["-timestamp", "-id"]
        verbose_name = "名册日志"
        verbose_name_plural = "名册日志"

    def __str__(self) -> str:
        return f"RosterLogEntry {self.pk}: {self.action} on {self.object_id}"
