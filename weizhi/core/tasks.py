"""Periodic jobs, run by the task workers when the scheduler enqueues them."""

import io
import logging
from datetime import timedelta

from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from weizhi.core import ratelimit, taskqueue
from weizhi.core.taskqueue import task

log = logging.getLogger(__name__)


@task()
def publish_scheduled_pages() -> str:
    """Publish pages whose go-live time has come and unpublish the expired ones."""
    out = io.StringIO()
    call_command("publish_scheduled", stdout=out)
    return out.getvalue()[-500:]


@task()
def prune_task_results() -> int:
    if settings.TASKS_BACKEND_NAME != "db":
        return 0
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - timedelta(days=7)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted


@task()
def prune_rate_counters() -> int:
    """Delete the rate-limit counters of windows that are over."""
    return ratelimit.prune()


@task()
def requeue_abandoned() -> int:
    """Hand on the tasks of workers that stopped heartbeating (killed mid-task)."""
    if settings.TASKS_BACKEND_NAME == "rq":
        from weizhi.core.rqsupport import requeue_abandoned_rq

        return requeue_abandoned_rq()
    if settings.TASKS_BACKEND_NAME == "db":
        return taskqueue.requeue_abandoned_db()
    return 0
