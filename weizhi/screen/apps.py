from django.apps import AppConfig


class ScreenConfig(AppConfig):
    name = "weizhi.screen"
    label = "screen"
    verbose_name = "敏感词"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401
