"""/metrics: the health checks' numbers in Prometheus text format, off unless enabled, and
then only for this machine and the monitoring addresses in METRICS_ALLOW (issue 19)."""

import ipaddress

import pytest
from django.contrib.auth.models import User
from django.test import Client
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_om
from prometheus_client.parser import text_string_to_metric_families

from weizhi.core import health
from weizhi.core.schedule import Job, tick
from weizhi.core.tasks import prune_rate_counters


@pytest.fixture
def enabled(settings, tmp_path):
    settings.METRICS_ENABLED = True
    settings.VAR_DIR = tmp_path
    settings.HEALTH_SCHEDULER_MAX_SECONDS = 120
    return settings


@pytest.fixture
def queue_check():
    health.register_check(
        "queue", lambda: {"ok": True, "waiting": 4, "oldest_seconds": 1.5, "kind": "db"}
    )
    yield
    health.CHECKS.pop("queue")


def scrape(client: Client, **headers) -> dict[str, float]:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        assert family.type == "gauge"
        for sample in family.samples:
            samples[sample.name] = sample.value
    return samples


def test_metrics_is_not_there_unless_enabled(db):
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 404


def test_metrics_gives_every_number_of_every_check_as_a_gauge(db, enabled, queue_check):
    local = Client(REMOTE_ADDR="127.0.0.1")
    samples = scrape(local)
    assert samples["weizhi_health_ok"] == 0  # no scheduler yet
    assert samples["weizhi_scheduler_ok"] == 0
    assert samples["weizhi_scheduler_ticked"] == 0
    assert samples["weizhi_scheduler_max_seconds"] == 120
    assert "weizhi_scheduler_seconds_since_tick" not in samples
    assert samples["weizhi_database_ok"] == 1
    assert samples["weizhi_queue_waiting"] == 4
    assert samples["weizhi_queue_oldest_seconds"] == 1.5
    assert "weizhi_queue_kind" not in samples  # strings stay in /healthz

    tick([Job(prune_rate_counters, every=3600)])
    samples = scrape(local)
    assert samples["weizhi_health_ok"] == 1
    assert samples["weizhi_scheduler_ok"] == 1
    assert 0 <= samples["weizhi_scheduler_seconds_since_tick"] <= 120


def test_a_check_that_raises_is_a_zero_ok_gauge(db, enabled):
    def broken() -> dict:
        raise RuntimeError("disk on fire")

    health.register_check("broken", broken)
    try:
        samples = scrape(Client(REMOTE_ADDR="127.0.0.1"))
    finally:
        health.CHECKS.pop("broken")
    assert samples["weizhi_broken_ok"] == 0
    assert samples["weizhi_health_ok"] == 0


def test_metrics_speaks_openmetrics_to_a_scraper_that_asks_for_it(db, enabled):
    response = Client(REMOTE_ADDR="127.0.0.1").get(
        "/metrics", HTTP_ACCEPT="application/openmetrics-text; version=1.0.0"
    )
    assert response["Content-Type"].startswith("application/openmetrics-text")
    names = {family.name for family in parse_om(response.content.decode())}
    assert {"weizhi_health_ok", "weizhi_database_ok"} <= names


@pytest.mark.parametrize(
    ("remote", "headers", "allow", "status"),
    [
        ("127.0.0.1", {}, "", 200),
        ("::1", {}, "", 200),
        ("203.0.113.9", {}, "", 404),
        ("10.1.2.3", {}, "", 404),
        ("10.1.2.3", {}, "10.0.0.0/8", 200),
        ("::ffff:10.1.2.3", {}, "10.0.0.0/8", 200),
        ("203.0.113.9", {}, "10.0.0.0/8", 404),
        # Through a proxy the address is the proxy's, whatever it is.
        ("127.0.0.1", {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}, "", 404),
        ("127.0.0.1", {"HTTP_X_FORWARDED_PROTO": "https"}, "", 404),
        ("10.1.2.3", {"HTTP_X_REAL_IP": "10.1.2.3"}, "10.0.0.0/8", 404),
    ],
)
def test_only_this_machine_and_allowed_monitors_may_scrape(
    db, enabled, remote, headers, allow, status
):
    enabled.METRICS_ALLOW = tuple(ipaddress.ip_network(net) for net in allow.split(",") if net)
    assert Client(REMOTE_ADDR=remote).get("/metrics", **headers).status_code == status


def test_signed_in_staff_from_afar_is_no_monitor(db, enabled):
    client = Client(REMOTE_ADDR="203.0.113.9")
    client.force_login(User.objects.create_user("ops", password="x", is_staff=True))
    assert client.get("/metrics").status_code == 404
