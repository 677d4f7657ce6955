from django.apps import AppConfig


class AudienceConfig(AppConfig):
    name = "weizhi.audience"
    label = "audience"
    verbose_name = "受众"

    def ready(self) -> None:
        from .models import RosterLogEntryManager
        from .scope import visible_log_entries

        RosterLogEntryManager.see_through(visible_log_entries)
