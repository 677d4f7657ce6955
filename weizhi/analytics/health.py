"""The "counters" part of /healthz and /metrics: reads not written to the database yet."""

import time

from django.conf import settings

from weizhi.analytics.counters import get_counter


def check_counters() -> dict:
    """Reads waiting (in Redis, live and claimed; or in the web processes' journals) and the
    age of the oldest; not ok once that passes HEALTH_COUNTER_MAX_AGE_SECONDS."""
    reads, since = get_counter().waiting()
    age = max(0.0, time.time() - since) if since is not None else 0.0
    return {
        "ok": age <= settings.HEALTH_COUNTER_MAX_AGE_SECONDS,
        "reads_waiting": reads,
        "oldest_unflushed_seconds": round(age, 1),
    }
