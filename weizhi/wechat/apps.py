from django.apps import AppConfig


class WechatConfig(AppConfig):
    name = "weizhi.wechat"
    label = "wechat"
    verbose_name = "公众号"

    def ready(self) -> None:
        from weizhi.audience import identity

        from . import account, media, oauth_views, rules  # noqa: F401  (signal receivers)

        identity.add_sign_in_route(oauth_views.sign_in_route)
