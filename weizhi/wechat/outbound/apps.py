from django.apps import AppConfig


class OutboundConfig(AppConfig):
    """Calls from weizhi to WeChat's API: the shared access token, publishing, followers."""

    name = "weizhi.wechat.outbound"
    label = "wechat_outbound"
    verbose_name = "公众号接口"
