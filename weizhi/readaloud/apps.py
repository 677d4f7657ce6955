from django.apps import AppConfig


class ReadAloudConfig(AppConfig):
    name = "weizhi.readaloud"
    label = "readaloud"
    verbose_name = "听读悟"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from weizhi.core.schedule import register_job
        from weizhi.moderation.models import Kind
        from weizhi.moderation.services import on_admin_link, on_decision

        from . import links, services
        from .tasks import prune_recordings

        on_decision(Kind.READING, services.on_reading_decision)
        on_admin_link(Kind.READING, links.reading_link)
        register_job(prune_recordings, every=24 * 3600)
