from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "weizhi.analytics"
    label = "analytics"
    verbose_name = "统计"
