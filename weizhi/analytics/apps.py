from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "weizhi.analytics"
    label = "analytics"
    verbose_name = "统计"

    def ready(self) -> None:
        from weizhi.core.backup import register_pre_backup

        register_pre_backup(flush_before_backup)


def flush_before_backup() -> None:
    """Reads waiting in Redis belong in the database before it is copied (in embedded mode
    each web process writes its own buffer within COUNTER_FLUSH_SECONDS)."""
    from weizhi.analytics.counters import get_counter

    get_counter().flush()
