"""What the task queue is doing, whichever queue it is: the "tasks" health check, the jobs
the 任务 page lists, and its 重试."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks.base import TaskResultStatus

STATES = {"waiting": "等待中", "running": "执行中", "failed": "失败"}


def check_tasks() -> dict:
    """Workers alive (by heartbeat), the oldest waiting job, running jobs whose worker is
    dead, and jobs that failed for good in the last hour; ok=False past the thresholds."""
    name = settings.TASKS_BACKEND_NAME
    if name == "rq":
        from weizhi.core import rqsupport

        numbers = rqsupport.stats()
    elif name == "db":
        numbers = _db_stats()
    else:
        numbers = {
            "workers": 0,
            "waiting": 0,
            "oldest_waiting_seconds": 0.0,
            "abandoned": 0,
            "failed_last_hour": 0,
        }
    ok = (
        numbers["workers"] >= settings.HEALTH_MIN_WORKERS
        and numbers["oldest_waiting_seconds"] <= settings.HEALTH_MAX_QUEUE_AGE_SECONDS
        and numbers["abandoned"] == 0
        and numbers["failed_last_hour"] <= settings.HEALTH_MAX_FAILED_JOBS_HOUR
    )
    return {"ok": ok, "backend": name, **numbers}


def _db_stats() -> dict:
    from django_tasks_db.models import DBTaskResult

    from weizhi.core.taskqueue import live_db_workers

    now = timezone.now()
    alive = live_db_workers()
    ready = DBTaskResult.objects.ready()
    oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    cutoff = now - timedelta(seconds=settings.TASK_WORKER_DEAD_SECONDS)
    running = DBTaskResult.objects.running().filter(started_at__lt=cutoff)
    abandoned = sum(
        1
        for ids in running.values_list("worker_ids", flat=True)
        if ids[-1:] and ids[-1] not in alive
    )
    return {
        "workers": len(alive),
        "waiting": ready.count(),
        "oldest_waiting_seconds": round((now - oldest).total_seconds(), 1) if oldest else 0.0,
        "abandoned": abandoned,
        "failed_last_hour": DBTaskResult.objects.failed()
        .filter(finished_at__gte=now - timedelta(hours=1))
        .count(),
    }


def jobs(limit: int = 100) -> list[dict]:
    """Waiting, running and failed jobs, newest failures first. Names and ids only: the
    arguments may be personal (an openid, a message) and are never shown."""
    name = settings.TASKS_BACKEND_NAME
    if name == "rq":
        from weizhi.core import rqsupport

        rows = rqsupport.jobs(limit)
    elif name == "db":
        rows = _db_jobs(limit)
    else:
        rows = []
    for row in rows:
        row["state_label"] = STATES[row["state"]]
        row["error"] = last_line(row["error"])
    return rows


def _db_jobs(limit: int) -> list[dict]:
    from django_tasks_db.models import DBTaskResult

    states = {
        TaskResultStatus.READY: "waiting",
        TaskResultStatus.RUNNING: "running",
        TaskResultStatus.FAILED: "failed",
    }
    rows = []
    for status, state in states.items():
        query = DBTaskResult.objects.filter(status=status)
        order = "-finished_at" if state == "failed" else "enqueued_at"
        for row in query.order_by(order)[:limit]:
            rows.append(
                {
                    "id": str(row.id),
                    "name": row.task_path.rsplit(".", 1)[-1],
                    "state": state,
                    "enqueued_at": row.enqueued_at,
                    "started_at": row.started_at,
                    "finished_at": row.finished_at,
                    "attempts": len(row.worker_ids),
                    "error": row.traceback,
                }
            )
    return rows


def last_line(traceback: str) -> str:
    """The exception line of a traceback (its frames may quote arguments)."""
    lines = [line for line in (traceback or "").strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def retry(job_id: str) -> bool:
    """Run a failed job again, with its attempts counted afresh. False if it is not failed."""
    name = settings.TASKS_BACKEND_NAME
    if name == "rq":
        from weizhi.core import rqsupport

        return rqsupport.retry(job_id)
    if name != "db":
        return False
    from django.core.exceptions import ValidationError
    from django_tasks_db.models import DBTaskResult

    try:
        updated = DBTaskResult.objects.filter(id=job_id, status=TaskResultStatus.FAILED).update(
            status=TaskResultStatus.READY,
            worker_ids=[],
            enqueued_at=timezone.now(),
            started_at=None,
            finished_at=None,
        )
    except ValidationError:
        return False
    return updated == 1
