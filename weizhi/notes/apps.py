from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "weizhi.notes"
    label = "notes"
    verbose_name = "动笔走心"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from weizhi.moderation.models import Kind
        from weizhi.moderation.services import on_admin_link, on_decision

        from . import services

        on_decision(Kind.NOTE, services.on_note_decision)
        on_admin_link(Kind.NOTE, services.admin_link)
