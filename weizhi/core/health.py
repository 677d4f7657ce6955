"""Health of the parts the site depends on, for load balancers and monitoring."""

import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone


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


def check_tasks() -> dict:
    name = settings.TASKS_BACKEND_NAME
    if name == "db":
        from django_tasks_db.models import DBTaskResult

        ready = DBTaskResult.objects.ready()
        waiting = ready.count()
        oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
        lag = (timezone.now() - oldest).total_seconds() if oldest else 0.0
        # A queue whose oldest ready task waited over five minutes has no live worker.
        return {
            "ok": lag < timedelta(minutes=5).total_seconds(),
            "backend": name,
            "waiting": waiting,
            "oldest_seconds": round(lag, 1),
        }
    if name == "rq":
        import django_rq

        queue = django_rq.get_queue("default")
        started = time.perf_counter()
        queue.connection.ping()
        return {
            "ok": True,
            "backend": name,
            "waiting": queue.count,
            "ping_ms": round((time.perf_counter() - started) * 1000, 2),
        }
    return {"ok": True, "backend": name}


CHECKS = {"database": check_database, "cache": check_cache, "tasks": check_tasks}


def run_checks() -> dict:
    report: dict = {}
    for name, check in CHECKS.items():
        try:
            report[name] = check()
        except Exception as exc:  # a health check reports failures, it must not raise
            report[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    report["ok"] = all(part["ok"] for part in report.values() if isinstance(part, dict))
    return report
