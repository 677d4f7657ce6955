from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "weizhi.inbox"
    label = "inbox"
    verbose_name = "留言"

    def ready(self) -> None:
        from weizhi.core.schedule import register_job

        from . import channels, tasks

        channels.register_sender(channels.WEB, channels.web_sender)
        from weizhi.analytics.office_home import register_waiting

        from .scope import waiting_for

        register_waiting(waiting_for)
        register_job(tasks.escalate_overdue_items, every=5 * 60)
