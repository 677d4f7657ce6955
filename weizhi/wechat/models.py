import re
import secrets

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.models import Orderable

MAX_TEXT_REPLY = 600  # WeChat cuts passive text replies at 2048 bytes; 600 汉字 stay inside it
MAX_KEYWORDS = 50
# The account's original id (原始ID) as WeChat sends it in ToUserName: gh_ and 12 letters or
# digits (lower-case hex on every account seen so far).
ORIGINAL_ID = re.compile(r"gh_[0-9A-Za-z]{12}")
ORIGINAL_ID_HELP = "原始ID应为 gh_ 加 12 位字母或数字，如 gh_3dfda90e39d6。"


class MessageMode(models.TextChoices):
    PLAIN = "plain", "明文模式"
    COMPATIBLE = "compatible", "兼容模式"
    SAFE = "safe", "安全模式"


def _new_token() -> str:
    return secrets.token_urlsafe(24)


def _new_original_id() -> str:
    return "gh_" + secrets.token_hex(6)


def _new_aes_key() -> str:
    # 43 characters of base64 alphabet: what WeChat's console generates.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(43))


@register_setting(name="wechat-account", icon="cog")
class AccountSettings(BaseGenericSetting):
    """Overrides of the WECHAT_* environment settings; a blank field keeps the environment's.

    The AppSecret is only ever read from the environment. The simulated account's token and
    key are made once per installation, so that no two installations share them.
    """

    app_id = models.CharField("AppID", max_length=32, blank=True)
    original_id = models.CharField(
        "原始ID",
        max_length=15,
        blank=True,
        help_text="gh_ 开头，见微信公众平台「设置与开发 → 账号设置 → 注册信息」。"
        "留空使用环境变量 WECHAT_ORIGINAL_ID。",
    )
    token = models.CharField("令牌 (Token)", max_length=32, blank=True)
    encoding_aes_key = models.CharField("消息加解密密钥", max_length=43, blank=True)
    previous_aes_key = models.CharField(
        "上一个消息加解密密钥",
        max_length=43,
        blank=True,
        help_text="更换密钥期间填写旧密钥，用旧密钥加密的消息仍能解开。",
    )
    message_mode = models.CharField(
        "消息加解密方式", max_length=12, choices=MessageMode.choices, blank=True
    )
    api_base = models.URLField(
        "接口地址", blank=True, help_text="留空使用环境变量 WECHAT_API_BASE 或微信官方地址。"
    )
    simulated_token = models.CharField(max_length=40, default=_new_token, editable=False)
    simulated_aes_key = models.CharField(max_length=43, default=_new_aes_key, editable=False)
    simulated_secret = models.CharField(max_length=40, default=_new_token, editable=False)
    simulated_original_id = models.CharField(
        max_length=15, default=_new_original_id, editable=False
    )
    updated_at = models.DateTimeField(auto_now=True)

    panels = [
        FieldRowPanel([FieldPanel("app_id"), FieldPanel("original_id")]),
        FieldPanel("token"),
        FieldRowPanel([FieldPanel("encoding_aes_key"), FieldPanel("previous_aes_key")]),
        FieldPanel("message_mode"),
        FieldPanel("api_base"),
    ]

    class Meta:
        verbose_name = "公众号"

    def clean(self) -> None:
        for name in ("encoding_aes_key", "previous_aes_key"):
            value = getattr(self, name)
            if value and not re.fullmatch(r"[A-Za-z0-9]{43}", value):
                raise ValidationError({name: "消息加解密密钥应为 43 位字母或数字。"})
        if self.original_id and not ORIGINAL_ID.fullmatch(self.original_id):
            raise ValidationError({"original_id": ORIGINAL_ID_HELP})
        if self.token and not re.fullmatch(r"[A-Za-z0-9]{3,32}", self.token):
            raise ValidationError({"token": "令牌应为 3 到 32 位字母或数字。"})


class InboundMessage(models.Model):
    """Every message and event a follower sent, kept before it is answered."""

    class Status(models.TextChoices):
        RECEIVED = "received", "已接收"
        REPLIED = "replied", "已回复"
        NO_REPLY = "no_reply", "无需回复"
        DEFERRED = "deferred", "稍后回复"
        SENDING = "sending", "正在发送"
        SENT_LATER = "sent_later", "已发客服消息"
        FAILED = "failed", "处理失败"

    # One row per message on the callback's hot path: keep Wagtail's reference index (which
    # would cost five more queries per message) out of it.
    wagtail_reference_index_ignore = True

    dedup_key = models.CharField(max_length=200, unique=True)
    # No index of its own: the (openid, -received_at) index below serves lookups by openid.
    openid = models.CharField("OpenID", max_length=64)
    msg_type = models.CharField("类型", max_length=32)
    event = models.CharField("事件", max_length=40, blank=True)
    event_key = models.CharField("事件键", max_length=200, blank=True)
    content = models.TextField("内容", blank=True)
    msg_id = models.CharField("MsgId", max_length=32, blank=True)
    sent_at = models.DateTimeField("发送时间")
    received_at = models.DateTimeField("接收时间", auto_now_add=True, db_index=True)
    raw_xml = models.TextField("原始报文")
    encrypted = models.BooleanField("加密", default=False)
    status = models.CharField(
        "状态", max_length=12, choices=Status.choices, default=Status.RECEIVED
    )
    rule = models.ForeignKey(
        "ReplyRule", verbose_name="命中规则", null=True, blank=True, on_delete=models.SET_NULL
    )
    reply = models.JSONField("回复", null=True, blank=True)
    late_reply = models.JSONField("稍后发送的回复", null=True, blank=True)
    duplicates = models.PositiveIntegerField("重试次数", default=0)

    class Meta:
        verbose_name = "收到的消息"
        verbose_name_plural = "收到的消息"
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["openid", "-received_at"])]
        permissions = [("reply_inboundmessage", "人工回复粉丝的消息（客服消息）")]

    def __str__(self) -> str:
        return f"{self.openid} {self.msg_type} {self.content[:20]}"

    @admin.display(description="内容")
    def content_preview(self) -> str:
        text = self.content or self.event_key or self.event
        return text[:40] + ("…" if len(text) > 40 else "")


class ManualReply(models.Model):
    """An officer's answer to a follower from 收到的消息, and what WeChat made of it: the
    audit trail of who said what to whom."""

    message = models.ForeignKey(
        InboundMessage, verbose_name="回复的消息", on_delete=models.CASCADE, related_name="+"
    )
    openid = models.CharField("OpenID", max_length=64)
    text = models.TextField("回复内容")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="回复人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField("回复时间", auto_now_add=True, db_index=True)
    delivered = models.BooleanField("已送达微信", default=False)
    detail = models.CharField("发送结果", max_length=300, blank=True)

    class Meta:
        verbose_name = "人工回复"
        verbose_name_plural = "人工回复"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.openid}: {self.text[:20]}"


class ReplyRule(ClusterableModel):
    """One rule of the reply router: when it fires, and what it answers."""

    class Trigger(models.TextChoices):
        SUBSCRIBE = "subscribe", "关注时"
        KEYWORD = "keyword", "关键词"
        CLICK = "click", "菜单点击"
        DEFAULT = "default", "默认回复"

    class Match(models.TextChoices):
        EXACT = "exact", "完全匹配"
        CONTAINS = "contains", "包含"
        REGEX = "regex", "正则表达式"

    class ReplyType(models.TextChoices):
        TEXT = "text", "文字"
        IMAGE = "image", "图片"
        NEWS = "news", "图文卡片"
        ACTION = "action", "内置功能"

    class Action(models.TextChoices):
        LATEST = "latest", "栏目最新文章"
        SEARCH = "search", "搜索文章"
        BIND = "bind", "绑定我的账号"
        WEATHER = "weather", "天气预报"
        QUIZ = "quiz", "今日答题"

    name = models.CharField("规则名称", max_length=60)
    trigger = models.CharField("触发方式", max_length=12, choices=Trigger.choices)
    keywords = models.TextField(
        "关键词",
        blank=True,
        help_text="每行一个。菜单点击规则填写菜单的 key。",
    )
    match = models.CharField("匹配方式", max_length=10, choices=Match.choices, default=Match.EXACT)
    priority = models.IntegerField("优先级", default=0, help_text="数字越大越先匹配。")
    enabled = models.BooleanField("启用", default=True)
    active_from = models.TimeField("每日生效开始", null=True, blank=True)
    active_until = models.TimeField(
        "每日生效结束", null=True, blank=True, help_text="留空表示全天有效；可跨午夜。"
    )
    reply_type = models.CharField(
        "回复类型", max_length=10, choices=ReplyType.choices, default=ReplyType.TEXT
    )
    text = models.TextField("回复文字", blank=True, max_length=MAX_TEXT_REPLY)
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name="回复图片",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    image_media_id = models.CharField(max_length=128, blank=True, editable=False)
    action = models.CharField("内置功能", max_length=12, choices=Action.choices, blank=True)
    action_column = models.ForeignKey(
        "content.ColumnPage",
        verbose_name="栏目",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="“栏目最新文章”取哪个栏目；留空取全部栏目。",
    )
    updated_at = models.DateTimeField(auto_now=True)

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("name"),
                FieldRowPanel([FieldPanel("trigger"), FieldPanel("match")]),
                FieldPanel("keywords"),
                FieldRowPanel([FieldPanel("priority"), FieldPanel("enabled")]),
                FieldRowPanel([FieldPanel("active_from"), FieldPanel("active_until")]),
            ],
            heading="何时回复",
        ),
        MultiFieldPanel(
            [
                FieldPanel("reply_type"),
                FieldPanel("text"),
                FieldPanel("image"),
                FieldRowPanel([FieldPanel("action"), FieldPanel("action_column")]),
            ],
            heading="回复什么",
        ),
        InlinePanel("cards", label="图文卡片", max_num=8),
    ]

    class Meta:
        verbose_name = "自动回复规则"
        verbose_name_plural = "自动回复规则"
        ordering = ["-priority", "id"]

    def __str__(self) -> str:
        return self.name

    def keyword_list(self) -> list[str]:
        return [k.strip() for k in self.keywords.splitlines() if k.strip()]

    @admin.display(description="关键词")
    def keyword_preview(self) -> str:
        words = self.keyword_list()
        return "、".join(words[:3]) + ("…" if len(words) > 3 else "") or "—"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        keywords = self.keyword_list()
        if self.trigger in (self.Trigger.KEYWORD, self.Trigger.CLICK) and not keywords:
            errors["keywords"] = "关键词回复和菜单点击回复至少要填写一个关键词或菜单 key。"
        if len(keywords) > MAX_KEYWORDS:
            errors["keywords"] = f"关键词最多 {MAX_KEYWORDS} 个。"
        if self.trigger == self.Trigger.KEYWORD and self.match == self.Match.REGEX:
            for keyword in keywords:
                try:
                    re.compile(keyword)
                except re.error as exc:
                    errors["keywords"] = f"正则表达式“{keyword}”有误：{exc}"
                    break
        if (self.active_from is None) != (self.active_until is None):
            errors["active_until"] = "生效时段的开始和结束要么都填，要么都不填。"
        if self.reply_type == self.ReplyType.TEXT and not self.text.strip():
            errors["text"] = "文字回复需要填写回复文字。"
        if self.reply_type == self.ReplyType.IMAGE and not self.image_id:
            errors["image"] = "图片回复需要选择一张图片。"
        if self.reply_type == self.ReplyType.ACTION and not self.action:
            errors["action"] = "请选择内置功能。"
        if errors:
            raise ValidationError(errors)


class ReplyCard(Orderable):
    """A card of a news reply: a page of ours, or any H5 link with its own title."""

    rule = ParentalKey(ReplyRule, related_name="cards", on_delete=models.CASCADE)
    page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name="站内页面",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    title = models.CharField("标题", max_length=64, blank=True, help_text="留空用页面标题。")
    description = models.CharField("摘要", max_length=120, blank=True)
    url = models.URLField("链接 (H5 活动等)", blank=True)
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name="封面",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    panels = [
        FieldPanel("page"),
        FieldPanel("title"),
        FieldPanel("description"),
        FieldPanel("url"),
        FieldPanel("image"),
    ]

    def clean(self) -> None:
        if not self.page_id and not self.url:
            raise ValidationError({"url": "请选择站内页面或填写链接。"})
        if not self.page_id and not self.title:
            raise ValidationError({"title": "外部链接需要填写标题。"})


class UsedLoginLink(models.Model):
    """A one-time login link that has been opened; a second opening is refused."""

    nonce = models.CharField(max_length=32, unique=True)
    used_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "已使用的登录链接"
        verbose_name_plural = "已使用的登录链接"


class CustomMenu(models.Model):
    """The account's custom menu as edited here (one row); pushing sends it to WeChat."""

    buttons = models.JSONField("菜单", default=list, blank=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="修改人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "自定义菜单"
        verbose_name_plural = "自定义菜单"

    def __str__(self) -> str:
        return "自定义菜单"

    @classmethod
    def load(cls) -> "CustomMenu":
        menu, _ = cls.objects.get_or_create(pk=1)
        return menu


class MenuPush(models.Model):
    """Each push of the menu to WeChat: what, by whom, and how it went (an audit trail)."""

    class Status(models.TextChoices):
        PENDING = "pending", "推送中"
        DONE = "done", "已生效"
        FAILED = "failed", "失败"

    buttons = models.JSONField("推送的菜单")
    pushed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="推送人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("推送时间", auto_now_add=True)
    status = models.CharField("结果", max_length=10, choices=Status.choices, default=Status.PENDING)
    message = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "菜单推送记录"
        verbose_name_plural = "菜单推送记录"
        ordering = ["-created_at"]


class InboxCursor(models.Model):
    """How far the inbox bridge has read the inbound messages (one row, name "inbox")."""

    # Migration 0014 writes its first rows: a freshly migrated instance holding them is empty
    # for `restore`.
    seeded_by_migrations = True

    name = models.CharField(max_length=20, unique=True)
    position = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "留言同步位置"
        verbose_name_plural = "留言同步位置"
