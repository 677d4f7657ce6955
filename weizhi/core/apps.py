from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "weizhi.core"
    label = "core"
    verbose_name = "系统"

    def ready(self) -> None:
        from .xlsx import guard_wagtail_exports, guard_wagtail_redirect_import

        guard_wagtail_exports()
        guard_wagtail_redirect_import()
