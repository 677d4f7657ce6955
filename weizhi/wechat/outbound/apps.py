from django.apps import AppConfig


class OutboundConfig(AppConfig):
    """Calls from weizhi to WeChat's API: the shared access token, publishing, followers."""

    name = "weizhi.wechat.outbound"
    label = "wechat_outbound"
    verbose_name = "公众号接口"

    def ready(self) -> None:
        from . import roster_tags  # noqa: F401  (signal receiver)
