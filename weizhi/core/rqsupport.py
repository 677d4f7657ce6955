"""The RQ side of taskqueue.py (scaled mode): retries, quick heartbeats, abandoned jobs.

RQ already retries a job with retries left when it raises or when its work-horse dies, and
fails or retries an abandoned job (worker gone) when its registry entry expires. What it
lacks: retries are set per job (RetryingQueue sets them for our retrying tasks); an idle
worker heartbeats every 6.75 minutes and an abandoned job waits 90 s after its worker's last
heartbeat (RQWorker heartbeats often, and requeue_abandoned_rq acts on a silent worker at
once); and the failure callback does not run when the parent worker survives its killed
work-horse (RQWorker runs it, so a final failure marks the object).
"""

import logging
from datetime import timedelta

import django_rq
from django.conf import settings
from django.utils.module_loading import import_string
from django_rq.queues import DjangoRQ
from rq.callbacks import execute_failure_callback
from rq.defaults import DEFAULT_FAILURE_TTL
from rq.exceptions import NoSuchJobError
from rq.job import Job, Retry
from rq.utils import current_timestamp, now
from rq.worker import Worker

from weizhi.core.taskerrors import WorkerLost

log = logging.getLogger(__name__)


class RetryingQueue(DjangoRQ):
    def create_job(self, func, *args, retry: Retry | None = None, **kwargs) -> Job:  # type: ignore[override]
        attempts = settings.TASK_MAX_ATTEMPTS
        if retry is None and isinstance(func, str) and attempts > 1:
            try:
                wants = getattr(import_string(func), "retry", False)
            except ImportError:
                wants = False
            if wants:
                retry = Retry(max=attempts - 1)
        return super().create_job(func, *args, retry=retry, **kwargs)


class RQWorker(Worker):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A busy worker heartbeats every job_monitoring_interval, an idle one every
        # worker_ttl - 15 s: both three times within TASK_WORKER_DEAD_SECONDS.
        self.job_monitoring_interval = max(1, settings.TASK_WORKER_DEAD_SECONDS // 3)
        self.worker_ttl = self.job_monitoring_interval + 15

    def handle_work_horse_killed(self, job: Job, retpid, ret_val, rusage) -> None:
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        error = WorkerLost(f"work-horse {retpid} died ({ret_val})")
        try:
            execute_failure_callback(job, self.death_penalty_class, WorkerLost, error, None)
        except Exception:
            log.exception("failure callback of job %s raised", job.id)


def connection():
    return django_rq.get_connection()


def queues() -> list[DjangoRQ]:
    return [django_rq.get_queue(name) for name in settings.RQ_QUEUES]


def _job(job_id: str) -> Job | None:
    from django_tasks_rq.backend import Job as TaskJob

    try:
        return TaskJob.fetch(job_id, connection=connection())
    except NoSuchJobError:
        return None


def retries_left(job_id: str) -> int:
    job = _job(job_id)
    return (job.retries_left or 0) if job else 0


def last_exception_path(job_id: str) -> str:
    job = _job(job_id)
    paths = job.meta.get("_django_tasks_rq_exceptions", []) if job else []
    return paths[-1] if paths else ""


def live_workers() -> list[Worker]:
    cutoff = now() - timedelta(seconds=settings.TASK_WORKER_DEAD_SECONDS)
    workers = Worker.all(connection=connection())
    return [w for w in workers if w.last_heartbeat and w.last_heartbeat >= cutoff]


def abandoned(queue: DjangoRQ, alive: set[str]) -> list[str]:
    """Entries of the queue's started registry whose worker stopped heartbeating."""
    registry = queue.started_job_registry
    cutoff = now() - timedelta(seconds=settings.TASK_WORKER_DEAD_SECONDS)
    entries = []
    for entry in queue.connection.zrange(registry.key, 0, -1):
        entry = entry.decode()
        job = _job(registry.parse_job_id(entry))
        if job is None or job.worker_name in alive:
            continue
        if job.started_at and job.started_at > cutoff:
            continue  # just started: its worker's heartbeat may not be written yet
        entries.append(entry)
    return entries


def requeue_abandoned_rq() -> int:
    """Expire the registry entries of dead workers' jobs at once and let RQ's own cleanup
    retry them (or fail them for good, through the failure callback)."""
    alive = {w.name for w in live_workers()}
    found = 0
    for queue in queues():
        entries = abandoned(queue, alive)
        if not entries:
            continue
        registry = queue.started_job_registry
        queue.connection.zadd(registry.key, dict.fromkeys(entries, 1), xx=True)
        registry.cleanup()
        found += len(entries)
        log.warning("queue %s: %d jobs of dead workers handed on", queue.name, len(entries))
    return found


def stats() -> dict:
    """The numbers of the health check, for RQ."""
    alive = live_workers()
    names = {w.name for w in alive}
    waiting = oldest = abandoned_count = failed_hour = 0
    stamp = current_timestamp()
    for queue in queues():
        waiting += queue.count
        first = queue.get_job_ids(0, 0)
        job = _job(first[0]) if first else None
        if job is not None and job.enqueued_at:
            oldest = max(oldest, (now() - job.enqueued_at).total_seconds())
        abandoned_count += len(abandoned(queue, names))
        # A failed job's score is the time it failed plus the failure TTL.
        since = stamp - 3600 + DEFAULT_FAILURE_TTL
        failed_hour += queue.connection.zcount(queue.failed_job_registry.key, since, "+inf")
    return {
        "workers": len(alive),
        "waiting": waiting,
        "oldest_waiting_seconds": round(oldest, 1),
        "abandoned": abandoned_count,
        "failed_last_hour": failed_hour,
    }


def jobs(limit: int) -> list[dict]:
    """Waiting, running and failed jobs, for the 任务 page."""
    rows = []
    for queue in queues():
        for state, ids in (
            ("waiting", queue.get_job_ids(0, limit - 1)),
            ("running", queue.started_job_registry.get_job_ids(0, limit - 1)),
            ("failed", queue.failed_job_registry.get_job_ids(0, limit - 1, desc=True)),
        ):
            for job_id in ids:
                job = _job(job_id)
                if job is not None:
                    rows.append(_row(job, state))
    return rows


def _row(job: Job, state: str) -> dict:
    results = job.results()
    error = results[0].exc_string if results and results[0].exc_string else ""
    attempts = len(results) + (1 if state == "running" else 0)
    return {
        "id": job.id,
        "name": job.func_name.rsplit(".", 1)[-1],
        "state": state,
        "enqueued_at": job.enqueued_at,
        "started_at": job.started_at,
        "finished_at": job.ended_at,
        "attempts": attempts,
        "error": error,
    }


def retry(job_id: str) -> bool:
    job = _job(job_id)
    if job is None:
        return False
    registry = django_rq.get_queue(job.origin).failed_job_registry
    if job.id not in registry:
        return False
    if getattr(job.func, "retry", False):
        job.retries_left = max(settings.TASK_MAX_ATTEMPTS - 1, 0)
        job.save()
    registry.requeue(job)
    return True
