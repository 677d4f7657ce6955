from django.apps import AppConfig
from django.conf import settings

# In embedded mode each web process flushes its own reads; the scheduler's job then writes the
# read journals of web processes that died, also when no web process is reading.
JOURNAL_REPLAY_SECONDS = 30
# Today's aggregates are this fresh; a day is final once the first run after midnight rolls it.
ROLLUP_SECONDS = 900
# Looks for last week's and last month's report; the first look on a Monday (or the 1st)
# after 01:00 makes it.
REPORT_SCHEDULE_SECONDS = 3600


class AnalyticsConfig(AppConfig):
    name = "weizhi.analytics"
    label = "analytics"
    verbose_name = "统计"

    def ready(self) -> None:
        from django.core import checks

        from weizhi.analytics.health import check_counters
        from weizhi.core.backup import register_pre_backup
        from weizhi.core.health import register_check
        from weizhi.core.schedule import register_job, register_on_stop

        from .report_charts import check_cjk_font
        from .reports import make_scheduled_reports
        from .rollup import roll_up
        from .services import flush_counters

        checks.register(check_cjk_font)
        register_pre_backup(flush_buffered_reads)
        register_check("counters", check_counters)
        # Counts that web processes left in Redis must not wait for the scheduler's next start.
        register_on_stop(flush_buffered_reads)
        register_job(flush_counters, every=flush_interval)
        register_job(roll_up, every=ROLLUP_SECONDS)
        register_job(make_scheduled_reports, every=REPORT_SCHEDULE_SECONDS)


def flush_interval() -> float:
    """In scaled mode the counts wait in Redis for the flush job; its first run is at start."""
    return settings.COUNTER_FLUSH_SECONDS if settings.REDIS_URL else JOURNAL_REPLAY_SECONDS


def flush_buffered_reads() -> None:
    """Reads waiting in Redis belong in the database before it is copied or the scheduler
    stops (in embedded mode each web process writes its own buffer within
    COUNTER_FLUSH_SECONDS)."""
    from weizhi.analytics.counters import get_counter

    get_counter().flush()
