"""`manage.py serve` end to end: the production server, the worker and the scheduler
start together, serve the reader site, and stop together on Ctrl-C without losing a read."""

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
MAKE_ARTICLE = """
from datetime import timedelta
from django.utils import timezone
from weizhi.content.site_setup import ensure_site
from weizhi.content.models import ArticlePage, ColumnPage
ensure_site()
column = ColumnPage.objects.get(slug="toutiao")
page = column.add_child(instance=ArticlePage(title="服务测试", slug="serve-test",
    body=[{"type": "paragraph", "value": "<p>正文</p>"}]))
page.save_revision().publish()
later = column.add_child(instance=ArticlePage(title="定时发布", slug="scheduled", live=False,
    go_live_at=timezone.now() + timedelta(seconds=4),
    body=[{"type": "paragraph", "value": "<p>正文</p>"}]))
later.save_revision().publish()
print(page.pk)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env: dict, *args: str, timeout: float = 180) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def descendants(pid: int) -> set[int]:
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            child = int(entry.name)
            found |= {child} | descendants(child)
    return found


REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "")
MODES = [
    pytest.param("embedded", id="embedded"),
    pytest.param(
        "redis",
        id="redis",
        marks=pytest.mark.skipif(not REDIS_TEST_URL, reason="REDIS_TEST_URL is not set"),
    ),
]


@pytest.fixture(params=MODES)
def instance(request, tmp_path):
    drop = {"DATABASE_URL", "REDIS_URL", "TASKS_BACKEND"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(
        WEIZHI_VAR_DIR=str(tmp_path),
        PYTHONUNBUFFERED="1",
        ACCESS_LOG_LEVEL="WARNING",
        SCHEDULE_PUBLISH_SECONDS="1",
    )
    if request.param == "redis":
        import redis

        redis.Redis.from_url(REDIS_TEST_URL).flushdb()
        env.update(REDIS_URL=REDIS_TEST_URL, CACHE_PREFIX=f"serve-{tmp_path.name}")
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    page_id = int(manage(env, "shell", "-v0", "-c", MAKE_ARTICLE).strip().splitlines()[-1])
    return env, tmp_path, page_id


def test_serve_runs_everything_and_ctrl_c_stops_it_without_losing_reads(instance):
    env, var_dir, page_id = instance
    port = free_port()
    log = var_dir / "serve.log"
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "serve", "--port", str(port), "--workers", "2"],
        env=env,
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not come up"
            assert proc.poll() is None, log.read_text()[-3000:]
            time.sleep(0.3)
        children = descendants(proc.pid)
        assert len(children) >= 3  # granian (+ its workers), db_worker, scheduler

        reads = 40
        with httpx.Client(base_url=base) as client:
            for _ in range(reads):
                assert client.get("/toutiao/serve-test/").status_code == 200
            assert client.get("/static/weizhi/reader.css").status_code == 200
            assert client.get("/nope/").status_code == 404
            # Scheduled publishing fires through the scheduler and the worker.
            deadline = time.monotonic() + 40
            while client.get("/toutiao/scheduled/").status_code != 200:
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=40)
    output = log.read_text()
    assert proc.returncode == 0, output[-3000:]
    assert "微智已停止" in output
    assert not [
        pid
        for pid in children
        if Path(f"/proc/{pid}").exists()
        and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
    ]

    with sqlite3.connect(var_dir / "weizhi.sqlite3") as db:
        (stored,) = db.execute(
            "SELECT reads FROM analytics_pagestats WHERE page_id = ?", (page_id,)
        ).fetchone()
    assert stored == reads


def start_serve(env: dict, port: int, log: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "serve", "--port", str(port), "--workers", "2"],
        env=env,
        cwd=ROOT,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "server did not come up"
        assert proc.poll() is None, log.read_text()[-3000:]
        time.sleep(0.3)


def stored_reads(var_dir: Path, page_id: int) -> int:
    with sqlite3.connect(var_dir / "weizhi.sqlite3") as db:
        row = db.execute(
            "SELECT reads FROM analytics_pagestats WHERE page_id = ?", (page_id,)
        ).fetchone()
    return row[0] if row else 0


def test_every_answered_read_is_stored_after_a_kill_minus_9_and_a_restart(instance):
    env, var_dir, page_id = instance
    port = free_port()
    log = var_dir / "serve.log"
    proc = start_serve(env, port, log)
    answered: list[int] = []
    try:

        def burst() -> None:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
                for _ in range(150):
                    if client.get("/toutiao/serve-test/").status_code == 200:
                        answered.append(1)

        threads = [threading.Thread(target=burst) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        # As the OOM killer or a power cut of the processes would: all at once, no warning.
        for pid in [proc.pid, *descendants(proc.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=10)
    assert len(answered) == 600

    proc = start_serve(env, free_port(), log)
    try:
        deadline = time.monotonic() + 40
        while stored_reads(var_dir, page_id) < len(answered) and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=40)
    assert stored_reads(var_dir, page_id) == len(answered), log.read_text()[-3000:]
