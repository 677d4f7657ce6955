from django.apps import AppConfig


class AudienceConfig(AppConfig):
    name = "weizhi.audience"
    label = "audience"
    verbose_name = "受众"
