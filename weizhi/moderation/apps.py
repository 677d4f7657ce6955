from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "weizhi.moderation"
    label = "moderation"
    verbose_name = "投稿与留言审核"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from weizhi.analytics.office_home import register_waiting

        from .scope import waiting_for

        register_waiting(waiting_for)
