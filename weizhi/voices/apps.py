from django.apps import AppConfig


class VoicesConfig(AppConfig):
    name = "weizhi.voices"
    label = "voices"
    verbose_name = "留言与投稿"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from weizhi.moderation.models import Kind
        from weizhi.moderation.services import on_admin_link, on_decision

        from . import links, submissions

        on_decision(Kind.SUBMISSION, submissions.on_submission_decision)
        on_admin_link(Kind.COMMENT, links.comment_link)
        on_admin_link(Kind.SUBMISSION, links.submission_link)
