"""The periodic jobs: each app registers its own, and the schedule is what it was when core
listed them itself."""

from weizhi.analytics.apps import flush_buffered_reads
from weizhi.core import schedule

DAY, HOUR = 24 * 3600, 3600


def jobs() -> list[tuple[str, float]]:
    return [(job.task.module_path, job.every) for job in schedule.default_jobs()]


def test_the_simulated_account_gets_the_core_jobs_the_read_flush_and_the_publish_poll(settings):
    settings.WECHAT_APP_ID = ""
    settings.REDIS_URL = None
    settings.SCHEDULE_PUBLISH_SECONDS = 30
    assert jobs() == [
        ("weizhi.core.tasks.publish_scheduled_pages", 30),
        ("weizhi.core.tasks.prune_task_results", DAY),
        ("weizhi.core.tasks.prune_rate_counters", HOUR),
        ("weizhi.core.tasks.requeue_abandoned", 15),
        ("weizhi.analytics.services.flush_counters", 30),
        ("weizhi.analytics.rollup.roll_up", 900),
        ("weizhi.analytics.reports.make_scheduled_reports", HOUR),
        ("weizhi.inbox.tasks.escalate_overdue_items", 300),
        ("weizhi.wechat.publishing.poll.poll_publishes", 60),
        ("weizhi.wechat.inbox.bridge.bridge_to_inbox", 15),
        ("weizhi.wechat.stats.pull.pull_wechat_statistics", HOUR),
        ("weizhi.news.tasks.fetch_feeds", 1800),
        ("weizhi.readaloud.tasks.prune_recordings", DAY),
    ]


def test_a_real_account_in_scaled_mode_adds_the_daily_syncs_and_flushes_reads_often(settings):
    settings.WECHAT_APP_ID = "wxreal000000000001"
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    settings.COUNTER_FLUSH_SECONDS = 2
    settings.SCHEDULE_PUBLISH_SECONDS = 45
    assert jobs() == [
        ("weizhi.core.tasks.publish_scheduled_pages", 45),
        ("weizhi.core.tasks.prune_task_results", DAY),
        ("weizhi.core.tasks.prune_rate_counters", HOUR),
        ("weizhi.core.tasks.requeue_abandoned", 15),
        ("weizhi.analytics.services.flush_counters", 2),
        ("weizhi.analytics.rollup.roll_up", 900),
        ("weizhi.analytics.reports.make_scheduled_reports", HOUR),
        ("weizhi.inbox.tasks.escalate_overdue_items", 300),
        ("weizhi.wechat.publishing.poll.poll_publishes", 60),
        ("weizhi.wechat.inbox.bridge.bridge_to_inbox", 15),
        ("weizhi.wechat.followers.roster_tags.sync_followers_task", DAY),
        ("weizhi.wechat.comments.services.pull_recent_comments", DAY),
        ("weizhi.wechat.stats.pull.pull_wechat_statistics", HOUR),
        ("weizhi.news.tasks.fetch_feeds", 1800),
        ("weizhi.readaloud.tasks.prune_recordings", DAY),
    ]


def test_registering_a_task_again_replaces_it(settings):
    settings.WECHAT_APP_ID = ""
    job = schedule.default_jobs()[0]
    before, registered = jobs(), dict(schedule._registry)
    try:
        schedule.register_job(job.task, every=5)
        assert jobs()[0] == (job.task.module_path, 5) and len(jobs()) == len(before)
    finally:
        schedule._registry.clear()
        schedule._registry.update(registered)


def test_the_scheduler_writes_buffered_reads_as_it_stops():
    assert flush_buffered_reads in schedule.stop_hooks()
