import json


def test_healthz_reports_database_cache_and_tasks(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    report = json.loads(response.content)
    assert report["ok"] is True
    assert report["database"]["ok"] and report["cache"]["ok"] and report["tasks"]["ok"]
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_answers_503_when_the_cache_is_unreachable(client, db, settings):
    # A real Redis client pointed at a port where nothing listens.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    report = json.loads(response.content)
    assert report["ok"] is False
    assert report["cache"]["ok"] is False
    assert "ConnectionError" in report["cache"]["error"]
    assert report["database"]["ok"] is True


def test_every_response_carries_a_request_id(client, db):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc123")
    assert response["X-Request-ID"] == "abc123"
    assert len(client.get("/healthz")["X-Request-ID"]) == 16


# The scheduler's heartbeat, the registry of checks and who sees what (issue 19).

import logging  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import pytest  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from weizhi.core import health  # noqa: E402
from weizhi.core.schedule import Job, tick  # noqa: E402
from weizhi.core.tasks import prune_rate_counters  # noqa: E402

REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "")
STRANGER = "203.0.113.9"


@pytest.fixture
def watched(settings, tmp_path):
    """A site that expects a scheduler, as every deployment does (tests turn the check off)."""
    settings.VAR_DIR = tmp_path
    settings.HEALTH_SCHEDULER_MAX_SECONDS = 120
    return settings


@pytest.fixture
def extra_check():
    """Register checks as another app would; forget them afterwards."""
    added = []

    def register(name, check):
        added.append(name)
        health.register_check(name, check)

    yield register
    for name in added:
        health.CHECKS.pop(name, None)


def one_tick() -> None:
    tick([Job(prune_rate_counters, every=3600)])


def later(monkeypatch, seconds: float) -> None:
    """Health checks from now on read a wall clock this far ahead."""
    real = time.time
    ahead = SimpleNamespace(
        time=lambda: real() + seconds, perf_counter=time.perf_counter, monotonic=time.monotonic
    )
    monkeypatch.setattr(health, "time", ahead)


def test_healthz_answers_503_when_the_scheduler_never_ticked(client, db, watched):
    response = client.get("/healthz")
    assert response.status_code == 503
    report = response.json()
    assert report["ok"] is False
    assert "scheduler" in report["failing"]
    assert report["scheduler"]["ok"] is False
    assert report["scheduler"]["ticked"] is False
    assert report["scheduler"]["max_seconds"] == 120
    assert "HEALTH_SCHEDULER_MAX_SECONDS" in report["scheduler"]["failed"]
    assert "seconds_since_tick" not in report["scheduler"]
    assert report["database"]["ok"] is True


def test_healthz_is_ok_after_a_tick_of_the_schedule(client, db, watched):
    one_tick()
    response = client.get("/healthz")
    assert response.status_code == 200
    scheduler = response.json()["scheduler"]
    assert scheduler["ok"] is True and scheduler["ticked"] is True
    assert 0 <= scheduler["seconds_since_tick"] <= 120
    assert "failed" not in scheduler


def test_the_scheduler_command_records_its_tick(client, db, watched):
    call_command("scheduler", once=True)
    assert client.get("/healthz").status_code == 200


def test_healthz_answers_503_when_the_last_tick_is_too_old(client, db, watched, monkeypatch):
    one_tick()
    later(monkeypatch, 121)
    response = client.get("/healthz")
    assert response.status_code == 503
    scheduler = response.json()["scheduler"]
    assert scheduler["ok"] is False and scheduler["ticked"] is True
    assert scheduler["seconds_since_tick"] > 120
    assert scheduler["failed"] == "seconds_since_tick > HEALTH_SCHEDULER_MAX_SECONDS"
    one_tick()
    later(monkeypatch, 0)
    assert client.get("/healthz").status_code == 200


def test_a_threshold_of_zero_turns_the_scheduler_check_off(client, db, watched):
    watched.HEALTH_SCHEDULER_MAX_SECONDS = 0
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["scheduler"] == {"ok": True, "ticked": False, "max_seconds": 0}


@pytest.mark.skipif(not REDIS_TEST_URL, reason="REDIS_TEST_URL is not set")
def test_scaled_the_tick_is_kept_in_redis_for_every_web_process(client, db, watched):
    import redis

    server = redis.Redis.from_url(REDIS_TEST_URL)
    server.flushdb()
    watched.REDIS_URL = REDIS_TEST_URL
    watched.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_TEST_URL,
            "KEY_PREFIX": "weizhi-test",
        }
    }
    try:
        assert client.get("/healthz").status_code == 503
        one_tick()
        assert client.get("/healthz").status_code == 200
        assert any(b"scheduler:heartbeat" in key for key in server.scan_iter())
        assert not list(watched.VAR_DIR.iterdir())  # nothing on this machine's disk
    finally:
        server.flushdb()


def test_a_check_that_raises_answers_503_with_its_error_for_staff(db, extra_check):
    def broken() -> dict:
        raise RuntimeError("disk on fire")

    extra_check("broken", broken)
    staff = Client(REMOTE_ADDR=STRANGER)
    staff.force_login(User.objects.create_user("ops", password="x", is_staff=True))
    response = staff.get("/healthz")
    assert response.status_code == 503
    report = response.json()
    assert report["broken"] == {"ok": False, "error": "RuntimeError: disk on fire"}
    assert "broken" in report["failing"]
    assert report["database"]["ok"] is True


def test_a_check_without_ok_counts_as_failed(client, db, extra_check):
    extra_check("sloppy", lambda: {"waiting": 3})
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "without ok" in response.json()["sloppy"]["error"]


def test_a_registered_check_with_its_fields_appears_in_healthz(client, db, extra_check):
    extra_check("queue", lambda: {"ok": True, "waiting": 4, "oldest_seconds": 1.5, "kind": "db"})
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["queue"] == {
        "ok": True,
        "waiting": 4,
        "oldest_seconds": 1.5,
        "kind": "db",
    }


@pytest.mark.parametrize(
    ("who", "sees_details"),
    [
        ("stranger", False),
        ("signed-in reader", False),
        ("loopback through a proxy", False),
        ("staff from afar", True),
        ("this machine", True),
    ],
)
def test_who_sees_what_of_a_failing_healthz(db, watched, extra_check, who, sees_details):
    extra_check("broken", lambda: {"ok": False, "failed": "always"})
    headers = {}
    if who == "this machine":
        client = Client(REMOTE_ADDR="127.0.0.1")
    elif who == "loopback through a proxy":
        client = Client(REMOTE_ADDR="127.0.0.1")
        headers = {"HTTP_X_FORWARDED_FOR": STRANGER}
    else:
        client = Client(REMOTE_ADDR=STRANGER)
    if who == "staff from afar":
        client.force_login(User.objects.create_user("ops", password="x", is_staff=True))
    if who == "signed-in reader":
        client.force_login(User.objects.create_user("reader", password="x"))
    response = client.get("/healthz", **headers)
    assert response.status_code == 503
    if sees_details:
        assert {"scheduler", "broken"} <= set(response.json()["failing"])
        assert response.json()["broken"]["failed"] == "always"
    else:
        assert response.json() == {"ok": False}


def test_a_lasting_failure_is_logged_once_a_minute_not_on_every_request(
    client, db, watched, caplog, monkeypatch
):
    monkeypatch.setattr(health, "_logged", {"failing": (), "at": float("-inf")})
    with caplog.at_level(logging.INFO):
        for _ in range(5):
            assert client.get("/healthz").status_code == 503
        # Nor does Django add its "Service Unavailable" error line for each one.
        problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(problems) == 1
        assert "scheduler=" in problems[0].getMessage()
        assert "HEALTH_SCHEDULER_MAX_SECONDS" in problems[0].getMessage()
        one_tick()
        assert client.get("/healthz").status_code == 200
        assert client.get("/healthz").status_code == 200
    ours = [r.getMessage() for r in caplog.records if r.name == "weizhi.core.health"]
    assert len(ours) == 2
    assert ours[1] == "health checks pass again (failed before: scheduler)"
