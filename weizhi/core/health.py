"""Health of the parts the site depends on, for load balancers and monitoring."""

import logging
import threading
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from weizhi.core import heartbeat
from weizhi.core.taskstatus import check_tasks

log = logging.getLogger(__name__)


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "vendor": connection.vendor}


def check_cache() -> dict:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "1", 10)
    ok = cache.get(key) == "1"
    cache.delete(key)
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    return {"ok": ok, "backend": backend}


def check_scheduler() -> dict:
    """Seconds since the scheduler's last tick (it ticks every second). A site whose scheduler
    was never seen is not ok: nothing would publish on time or flush counts."""
    limit = settings.HEALTH_SCHEDULER_MAX_SECONDS
    last = heartbeat.last_beat("scheduler")
    report: dict = {"ok": True, "ticked": last is not None, "max_seconds": limit}
    if last is not None:
        # The scheduler may run on another machine: a clock behind ours is not a future tick.
        report["seconds_since_tick"] = round(max(0.0, time.time() - last), 1)
    if not limit:
        return report
    if last is None:
        report["ok"] = False
        report["failed"] = "no scheduler tick recorded (HEALTH_SCHEDULER_MAX_SECONDS)"
    elif report["seconds_since_tick"] > limit:
        report["ok"] = False
        report["failed"] = "seconds_since_tick > HEALTH_SCHEDULER_MAX_SECONDS"
    return report


CHECKS = {"database": check_database, "cache": check_cache, "tasks": check_tasks}


def register_check(name: str, check: Callable[[], dict]) -> None:
    """Add a part to /healthz and /metrics; apps call it from AppConfig.ready()."""
    CHECKS[name] = check


def run_checks() -> dict:
    report: dict = {}
    for name, check in CHECKS.items():
        try:
            part = check()
        except Exception as exc:  # a health check reports failures, it must not raise
            part = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        if not isinstance(part, dict) or not isinstance(part.get("ok"), bool):
            part = {"ok": False, "error": f"the check returned {part!r:.200} without ok"}
        report[name] = part
    failing = [name for name, part in report.items() if not part["ok"]]
    report["ok"] = not failing
    if failing:
        report["failing"] = failing
    return report


# A load balancer asks every few seconds: a lasting failure is logged once a minute, and at
# once when the set of failing parts changes.
FAILURE_LOG_SECONDS = 60.0
_logged: dict = {"failing": (), "at": float("-inf")}
_logged_lock = threading.Lock()


def log_failures(report: dict) -> None:
    failing = tuple(report.get("failing", ()))
    now = time.monotonic()
    with _logged_lock:
        if failing == _logged["failing"] and (
            not failing or now - _logged["at"] < FAILURE_LOG_SECONDS
        ):
            return
        was_failing = _logged["failing"]
        _logged.update(failing=failing, at=now)
    if failing:
        log.warning(
            "health check failed: %s", "; ".join(f"{name}={report[name]}" for name in failing)
        )
    elif was_failing:
        log.info("health checks pass again (failed before: %s)", ", ".join(was_failing))
