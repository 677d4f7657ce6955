"""/metrics in Prometheus text format: the numbers of every health check, as gauges.

Computed when asked, by a collector that runs the checks, so every web process answers the
same without a multiprocess registry: the numbers live in the database, Redis and VAR_DIR,
not in the process that happens to answer.
"""

import re
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

from weizhi.core.health import log_failures, run_checks


def metric_name(check: str, field: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_]", "_", f"weizhi_{check}_{field}")


class HealthCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        report = run_checks()
        log_failures(report)
        yield GaugeMetricFamily(
            "weizhi_health_ok",
            "1 when every health check passes (/healthz answers 200)",
            value=int(report["ok"]),
        )
        for check, part in report.items():
            if not isinstance(part, dict):
                continue
            for field, value in part.items():
                # bool is an int: ok and other flags export as 0 or 1; strings stay in /healthz.
                if isinstance(value, int | float):
                    yield GaugeMetricFamily(
                        metric_name(check, field),
                        f"{field} of the {check} health check",
                        value=float(value),
                    )


REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(HealthCollector())
