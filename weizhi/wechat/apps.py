from django.apps import AppConfig


class WechatConfig(AppConfig):
    name = "weizhi.wechat"
    label = "wechat"
    verbose_name = "公众号"

    def ready(self) -> None:
        from . import account, media, rules  # noqa: F401  (signal receivers)
