from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "weizhi.core"
    label = "core"
    verbose_name = "系统"
