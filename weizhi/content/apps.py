from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "weizhi.content"
    label = "content"
    verbose_name = "内容"

    def ready(self) -> None:
        from weizhi.content import images, signals  # noqa: F401
