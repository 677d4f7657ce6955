from django.apps import AppConfig


class OutboundConfig(AppConfig):
    """The tables of weizhi's calls to WeChat (access token, sends, uploads, article comments).

    A second app only so that its label, tables and migration history stay those of the former
    outbound app; its code lives in the wechat app's features (api/, publishing/, comments/).
    """

    name = "weizhi.wechat.records"
    label = "wechat_outbound"
    verbose_name = "公众号接口"
