"""The schedule of periodic jobs, and one tick of the loop that enqueues them.

Each app registers its jobs from its AppConfig.ready() (register_job), so that core knows no
app. One scheduler process runs in either mode; the jobs themselves run on the task workers,
so a slow job never delays the next tick.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django_tasks.base import Task

from weizhi.core import heartbeat

log = logging.getLogger(__name__)


@dataclass
class Job:
    task: Task
    every: float
    last: float = field(default=float("-inf"))


@dataclass(frozen=True)
class _Registration:
    task: Task
    every: float | Callable[[], float]
    when: Callable[[], bool] | None


_registry: dict[str, _Registration] = {}
_on_stop: list[Callable[[], None]] = []


def register_job(
    task: Task,
    *,
    every: float | Callable[[], float],
    when: Callable[[], bool] | None = None,
) -> None:
    """Run `task` every `every` seconds (a callable is asked when the schedule is built, so a
    setting is read then), only while `when()` is true if given. Registering a task again
    replaces its entry."""
    _registry[task.module_path] = _Registration(task, every, when)


def register_on_stop(hook: Callable[[], None]) -> None:
    """Something the scheduler does as it stops (write what waits in a buffer)."""
    if hook not in _on_stop:
        _on_stop.append(hook)


def default_jobs() -> list[Job]:
    """The registered jobs that apply under the settings of now, in registration order."""
    return [
        Job(r.task, every=r.every() if callable(r.every) else r.every)
        for r in _registry.values()
        if r.when is None or r.when()
    ]


def stop_hooks() -> list[Callable[[], None]]:
    return list(_on_stop)


def tick(jobs: list[Job], now: float | None = None) -> list[str]:
    """Enqueue every job that is due; returns the names of those enqueued. Each tick is
    recorded as the scheduler's heartbeat, which /healthz reads."""
    try:
        heartbeat.beat("scheduler")
    except Exception:
        # Redis away: the enqueues below fail and say so; the loop must go on to recover.
        log.warning("could not record the scheduler's heartbeat", exc_info=True)
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
