"""Our tasks: they carry the enqueuing request's id into their log lines, and the ones that
matter are run again after a crash or an error, a bounded number of times.

Every task of ours is declared with `task()` below. A task with `retry=True` must be
idempotent (it finds what an earlier attempt did and does not do it twice); it runs up to
TASK_MAX_ATTEMPTS times. When it fails for good, its `on_failure(reason, *args, **kwargs)`
marks its object failed with a Chinese reason.

A worker killed mid-task (kill -9, the OOM killer) leaves its task "running". Workers
heartbeat (RQ's own heartbeats; the database worker's TaskWorker rows), and the periodic
`requeue_abandoned` job (see abandoned.py) hands the tasks of dead workers back to the queue.
"""

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks.base import (
    DEFAULT_TASK_PRIORITY,
    DEFAULT_TASK_QUEUE_NAME,
    Task,
    TaskResult,
    TaskResultStatus,
)
from django_tasks.signals import task_finished

from weizhi.core.logging import request_id_var
from weizhi.core.taskerrors import WorkerLost

log = logging.getLogger(__name__)

# A hidden keyword argument: the id of the request that enqueued the task.
REQUEST_ID_KWARG = "_request_id"
LOST_REASON = "工作进程中断"


@dataclass(frozen=True, kw_only=True)
class WeizhiTask(Task):
    retry: bool = False
    on_failure: Callable[..., None] | None = None

    def enqueue(self, *args: Any, **kwargs: Any) -> TaskResult:
        request_id = request_id_var.get()
        if request_id != "-":
            kwargs = {**kwargs, REQUEST_ID_KWARG: request_id}
        return Task.enqueue(self, *args, **kwargs)

    def call(self, *args: Any, **kwargs: Any) -> Any:
        token = request_id_var.set(kwargs.pop(REQUEST_ID_KWARG, None) or request_id_var.get())
        try:
            return Task.call(self, *args, **kwargs)
        finally:
            request_id_var.reset(token)


def task(
    function: Callable | None = None,
    *,
    retry: bool = False,
    on_failure: Callable[..., None] | None = None,
    priority: int = DEFAULT_TASK_PRIORITY,
    queue_name: str = DEFAULT_TASK_QUEUE_NAME,
) -> Any:
    """django_tasks' @task, for a WeizhiTask."""

    def wrap(func: Callable) -> WeizhiTask:
        return WeizhiTask(
            func=func,
            retry=retry,
            on_failure=on_failure,
            priority=priority,
            queue_name=queue_name,
        )

    return wrap(function) if function else wrap


def public_args(result: TaskResult) -> tuple[list, dict]:
    """A task's own arguments, without the hidden request id."""
    kwargs = {k: v for k, v in result.kwargs.items() if k != REQUEST_ID_KWARG}
    return list(result.args), kwargs


def pause_point(name: str) -> None:
    """A test hook, inert unless TASK_TEST_PAUSE is "name:path": then the first task to come
    here creates the file at path and waits for ever (for the test to kill its worker); once
    the file exists, later attempts go on."""
    spec = settings.TASK_TEST_PAUSE
    if not spec or spec.split(":", 1)[0] != name:
        return
    marker = Path(spec.split(":", 1)[1])
    try:
        with marker.open("x") as handle:
            handle.write(str(os.getpid()))
    except FileExistsError:
        return
    while True:
        time.sleep(1)


# After a failure: run again, or fail for good ----------------------------------------------


def on_task_finished(sender: Any, task_result: TaskResult, **kwargs: Any) -> None:
    """A task ended: when it failed, retry it if it may, else mark its object failed."""
    if task_result.status != TaskResultStatus.FAILED:
        return
    task = task_result.task
    if not isinstance(task, WeizhiTask):
        return
    try:
        if _runs_again(task, task_result):
            log.warning("task %s %s failed; it will run again", task.name, task_result.id)
            return
        reason = failure_reason(task_result)
        log.error("task %s %s failed for good: %s", task.name, task_result.id, reason)
        if task.on_failure is not None:
            args, kw = public_args(task_result)
            task.on_failure(reason, *args, **kw)
    except Exception:  # a worker must survive its own failure handling
        log.exception("could not handle the failure of task %s %s", task.name, task_result.id)


def _runs_again(task: WeizhiTask, result: TaskResult) -> bool:
    if settings.TASKS_BACKEND_NAME == "db":
        if not task.retry or len(result.worker_ids) >= settings.TASK_MAX_ATTEMPTS:
            return False
        from django_tasks_db.models import DBTaskResult

        # The same row runs again: its worker_ids count the attempts.
        requeued = DBTaskResult.objects.filter(id=result.id, status=TaskResultStatus.FAILED).update(
            status=TaskResultStatus.READY, finished_at=None, started_at=None
        )
        return requeued == 1
    if settings.TASKS_BACKEND_NAME == "rq":
        from weizhi.core import rqsupport

        return rqsupport.retries_left(result.id) > 0
    return False


def failure_reason(result: TaskResult) -> str:
    path = last_exception_path(result)
    if path.endswith(("WorkerLost", "AbandonedJobError")) or not path:
        what = LOST_REASON
    else:
        what = f"执行出错：{path.rsplit('.', 1)[-1]}"
    return f"后台任务多次尝试后仍未完成（{what}），已停止重试；可在「设置 → 任务」中重试。"


def last_exception_path(result: TaskResult) -> str:
    if result.errors:
        return result.errors[-1].exception_class_path
    if settings.TASKS_BACKEND_NAME == "rq":
        from weizhi.core import rqsupport

        return rqsupport.last_exception_path(result.id)
    return ""


# The database queue's heartbeats --------------------------------------------------------------


def beat(worker_id: str) -> None:
    from weizhi.core.models import TaskWorker

    TaskWorker.objects.update_or_create(
        worker_id=worker_id,
        defaults={"last_seen": timezone.now(), "pid": os.getpid(), "host": os.uname().nodename},
    )


def live_db_workers() -> set[str]:
    from weizhi.core.models import TaskWorker

    cutoff = timezone.now() - timedelta(seconds=settings.TASK_WORKER_DEAD_SECONDS)
    return set(TaskWorker.objects.filter(last_seen__gte=cutoff).values_list("worker_id", flat=True))


def requeue_abandoned_db() -> int:
    """Fail the running tasks whose worker stopped heartbeating; on_task_finished then runs
    them again or fails them for good. Returns how many were found."""
    from django_tasks_db.models import DBTaskResult

    from weizhi.core.models import TaskWorker

    cutoff = timezone.now() - timedelta(seconds=settings.TASK_WORKER_DEAD_SECONDS)
    alive = live_db_workers()
    found = 0
    # Just claimed: the worker's heartbeat may not be written yet.
    for row in DBTaskResult.objects.running().filter(started_at__lt=cutoff):
        if row.worker_ids and row.worker_ids[-1] in alive:
            continue
        error = WorkerLost(f"worker {row.worker_ids[-1] if row.worker_ids else '?'} stopped")
        with transaction.atomic():
            locked = DBTaskResult.objects.select_for_update().filter(id=row.id).first()
            if locked is None or locked.status != TaskResultStatus.RUNNING:
                continue
            locked.set_failed(error)
        found += 1
        log.warning("task %s %s: its worker died; handing it on", row.task_path, row.id)
        try:
            result = locked.task_result
        except Exception:
            log.exception("task %s: cannot load %s", row.id, row.task_path)
            continue
        task_finished.send(type(result.task.get_backend()), task_result=result)
    TaskWorker.objects.filter(last_seen__lt=timezone.now() - timedelta(days=1)).delete()
    return found


def connect_signals() -> None:
    task_finished.connect(on_task_finished, dispatch_uid="weizhi.core.taskqueue")
