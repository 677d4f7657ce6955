from django.db import models


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

    class Meta:
        verbose_name = "粉丝"
        verbose_name_plural = "粉丝"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.remark or self.openid
