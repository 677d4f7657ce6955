"""One request log: cached pages, the callback's fast path and Django's views each log one
access line with nginx's X-Request-ID and echo it; sampling, JSON lines, quiet task workers."""

import io
import json
import logging
import os
import sqlite3
import subprocess
import sys
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.db import connection

from tests import factories, wsgi_entry
from tests import wechat_sender as wx
from weizhi.core.logging import JsonFormatter
from weizhi.wechat.protocol.sender import message_xml

NGINX_ID = "9f86d081884c7d659a2feaa0c55ad015"


@pytest.fixture
def log_lines():
    """What the configured console handler writes (its own filters and format), line by line."""
    import weizhi.wsgi  # noqa: F401 - loading it sets Django up again, with a new handler

    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield lambda: stream.getvalue().splitlines()
    finally:
        handler.setStream(previous)


def get(path: str, **environ) -> tuple[str, dict, bytes]:
    """A GET through the WSGI entry, the path as WSGI carries it (the URL's bytes as Latin-1)."""
    return wsgi_entry.call("GET", unquote(path).encode().decode("latin-1"), **environ)


def access_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if " weizhi.access " in line]


def test_a_cached_page_logs_and_echoes_nginx_request_id(home, log_lines):
    page = factories.article(title="缓存命中")
    get(page.url)  # rendered and stored
    _status, headers, _body = get(page.url, HTTP_X_REQUEST_ID=NGINX_ID)
    assert headers["X-Page-Cache"] == "hit"
    assert headers["X-Request-ID"] == NGINX_ID
    (line,) = [line for line in access_lines(log_lines()) if "cache=hit" in line]
    assert f"rid={NGINX_ID} GET {page.url} 200 user=- " in line


@pytest.mark.django_db
def test_a_callback_post_logs_and_echoes_nginx_request_id(log_lines):
    via = wx.sender()
    params, body = via.seal(message_xml(wx.text("o-request-id", "你好")))
    query = "&".join(f"{k}={v}" for k, v in params.items())
    status, headers, _answer = wsgi_entry.call(
        "POST",
        wx.URL,
        body,
        QUERY_STRING=query,
        CONTENT_TYPE="text/xml",
        HTTP_X_REQUEST_ID=NGINX_ID,
    )
    assert status == "200 OK"
    assert headers["X-Request-ID"] == NGINX_ID
    (line,) = access_lines(log_lines())
    assert f"rid={NGINX_ID} POST {wx.URL} 200 " in line


@pytest.mark.django_db
def test_a_django_view_logs_and_echoes_nginx_request_id(log_lines):
    _status, headers, _body = get("/healthz", HTTP_X_REQUEST_ID=NGINX_ID)
    assert headers["X-Request-ID"] == NGINX_ID
    (line,) = access_lines(log_lines())
    assert f"rid={NGINX_ID} GET /healthz 200 user=- " in line


@pytest.mark.parametrize(
    "forged", ["x" * 65, "a b", "abc\nGET /admin/ 200", 'a"b', "ab\x00", "中文"]
)
@pytest.mark.django_db
def test_a_malformed_or_huge_request_id_is_replaced_by_a_fresh_one(forged, log_lines):
    _status, headers, _body = wsgi_entry.call(
        "GET", "/healthz", HTTP_X_REQUEST_ID=forged.encode().decode("latin-1")
    )
    fresh = headers["X-Request-ID"]
    assert len(fresh) == 16 and int(fresh, 16) >= 0
    (line,) = access_lines(log_lines())
    assert f"rid={fresh} " in line


@pytest.mark.django_db
def test_requests_without_an_id_get_a_fresh_one_each(log_lines):
    first = get("/healthz")[1]["X-Request-ID"]
    second = get("/healthz")[1]["X-Request-ID"]
    assert first != second
    lines = access_lines(log_lines())
    assert f"rid={first} " in lines[0] and f"rid={second} " in lines[1]


def test_with_sampling_off_a_read_logs_nothing_but_errors_still_do(home, settings, log_lines):
    settings.ACCESS_LOG_SAMPLE = 0.0
    page = factories.article(title="不记录")
    assert get(page.url)[0].startswith("200")  # a fresh render
    assert get(page.url)[1]["X-Page-Cache"] == "hit"
    assert get("/no-such-page/")[0].startswith("404")
    lines = access_lines(log_lines())
    assert len(lines) == 1
    assert "GET /no-such-page/ 404 " in lines[0]


def test_with_sampling_off_a_slow_answer_is_still_logged(home, settings, log_lines):
    settings.ACCESS_LOG_SAMPLE = 0.0
    settings.ACCESS_LOG_SLOW_MS = 0  # every answer takes at least 0 ms
    page = factories.article(title="慢")
    get(page.url)
    get(page.url)
    assert len(access_lines(log_lines())) == 2


def test_json_lines_carry_the_request_id_and_the_access_fields_as_keys(home, log_lines):
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    previous = handler.formatter
    handler.setFormatter(JsonFormatter())
    try:
        page = factories.article(title="JSON")
        get(page.url)
        get(page.url, HTTP_X_REQUEST_ID=NGINX_ID)
        logging.getLogger("weizhi.test").warning("多行\n消息")
    finally:
        handler.setFormatter(previous)
    entries = [json.loads(line) for line in log_lines()]
    hit = next(e for e in entries if e.get("cache") == "hit")
    assert hit["rid"] == NGINX_ID
    assert (hit["logger"], hit["level"], hit["method"], hit["status"]) == (
        "weizhi.access",
        "INFO",
        "GET",
        200,
    )
    assert hit["path"] == page.url and hit["user"] == "-" and hit["ms"] >= 0
    assert {"time", "message"} <= hit.keys()
    assert entries[-1]["message"] == "多行\n消息"


def test_log_format_json_is_chosen_by_the_setting(tmp_path):
    env = {**os.environ, "LOG_FORMAT": "json", "WEIZHI_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    code = "import django, logging; django.setup(); logging.getLogger('weizhi.x').warning('好')"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "weizhi.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    entry = json.loads(result.stderr.strip().splitlines()[-1])
    assert (entry["logger"], entry["level"], entry["message"], entry["rid"]) == (
        "weizhi.x",
        "WARNING",
        "好",
        "-",
    )


ENQUEUE = """
from weizhi.core.tasks import prune_rate_counters
for _ in range(3):
    prune_rate_counters.enqueue()
"""


def run_manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        env=env,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def worker_env(tmp_path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "TASKS_BACKEND")}
    env.update(WEIZHI_VAR_DIR=str(tmp_path), PYTHONUNBUFFERED="1", **extra)
    if connection.vendor == "sqlite":
        env.pop("DATABASE_URL", None)
        connection.ensure_connection()
        target = sqlite3.connect(tmp_path / "weizhi.sqlite3")
        connection.connection.backup(target)  # the migrated test database
        target.execute("PRAGMA journal_mode=WAL")
        target.close()
    else:
        database = connection.settings_dict
        env["DATABASE_URL"] = (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        )
        # Settings refuse a database without a secret of its own (none is generated then).
        env["SECRET_KEY"] = settings.SECRET_KEY
    return env


def worker_output(env: dict, *worker: str) -> list[str]:
    run_manage(env, "shell", "-v0", "-c", ENQUEUE)
    result = run_manage(env, *worker)
    return (result.stdout + result.stderr).splitlines()


DB_WORKER = ("db_worker", "--queue-name", "*", "--no-reload", "--batch", "--no-startup-delay")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_database_task_worker_logs_nothing_per_job_at_tasks_log_level_warning(tmp_path):
    loud = worker_output(worker_env(tmp_path, TASKS_LOG_LEVEL="INFO"), *DB_WORKER)
    assert len([line for line in loud if "prune_rate_counters" in line]) >= 3
    assert worker_output(worker_env(tmp_path, TASKS_LOG_LEVEL="WARNING"), *DB_WORKER) == []


REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "")


@pytest.mark.skipif(not REDIS_TEST_URL, reason="REDIS_TEST_URL is not set")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_rq_task_worker_logs_nothing_per_job_at_tasks_log_level_warning(tmp_path):
    import redis

    redis.Redis.from_url(REDIS_TEST_URL).flushdb()
    rq = {"REDIS_URL": REDIS_TEST_URL, "TASKS_BACKEND": "rq", "CACHE_PREFIX": tmp_path.name}
    worker = ("rqworker", "--burst", "--job-class", "django_tasks_rq.Job", "default")
    loud = worker_output(worker_env(tmp_path, TASKS_LOG_LEVEL="INFO", **rq), *worker)
    assert len([line for line in loud if "prune_rate_counters" in line]) >= 3
    assert worker_output(worker_env(tmp_path, TASKS_LOG_LEVEL="WARNING", **rq), *worker) == []
