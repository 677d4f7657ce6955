"""The schedule of periodic jobs, and one tick of the loop that enqueues them.

One scheduler process runs in either mode; the jobs themselves run on the task workers,
so a slow job never delays the next tick.
"""

import logging
import time
from dataclasses import dataclass, field

from django.conf import settings
from django_tasks.base import Task

from weizhi.analytics.services import flush_counters
from weizhi.core.tasks import prune_rate_counters, prune_task_results, publish_scheduled_pages

log = logging.getLogger(__name__)

JOURNAL_REPLAY_SECONDS = 30


@dataclass
class Job:
    task: Task
    every: float
    last: float = field(default=float("-inf"))


def default_jobs() -> list[Job]:
    jobs = [
        Job(publish_scheduled_pages, every=settings.SCHEDULE_PUBLISH_SECONDS),
        Job(prune_task_results, every=24 * 3600),
        Job(prune_rate_counters, every=3600),
    ]
    # In scaled mode the counts wait in Redis for this job. In embedded mode each web process
    # flushes its own; the job writes the read journals of web processes that died, also
    # when no web process is reading (its first run is at start).
    every = settings.COUNTER_FLUSH_SECONDS if settings.REDIS_URL else JOURNAL_REPLAY_SECONDS
    jobs.append(Job(flush_counters, every=every))
    # There is always an account to ask (the simulated one when none is configured), so
    # publishes whose PUBLISHJOBFINISH is overdue are always looked for.
    from weizhi.wechat.outbound.publish_poll import poll_publishes

    jobs.append(Job(poll_publishes, every=60))
    if settings.WECHAT_APP_ID:
        # A real account: bring followers and their tags, and readers' comments, in daily.
        from weizhi.wechat.outbound.comments import pull_recent_comments
        from weizhi.wechat.outbound.followers import sync_followers_task

        jobs.append(Job(sync_followers_task, every=24 * 3600))
        jobs.append(Job(pull_recent_comments, every=24 * 3600))
    return jobs


def tick(jobs: list[Job], now: float | None = None) -> list[str]:
    """Enqueue every job that is due; returns the names of those enqueued."""
    now = time.monotonic() if now is None else now
    enqueued = []
    for job in jobs:
        if now - job.last >= job.every:
            try:
                job.task.enqueue()
            except Exception:
                log.exception("could not enqueue %s", job.task.name)
                continue
            job.last = now
            enqueued.append(job.task.name)
    return enqueued
