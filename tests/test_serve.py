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
        # Frozen first, until no new process appears: killed one by one, a worker that dies
        # before granian would be respawned by it, outside this set, holding the var dir's lock.
        killed: set[int] = set()
        while fresh := {proc.pid, *descendants(proc.pid)} - killed:
            for pid in fresh:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)
            killed |= fresh
        for pid in killed:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=10)
        # A killed child lets go of the var dir's lock only once it has fully exited; a
        # supervisor restarts after that too (systemd waits for the unit's processes to go).
        assert not wait_until_gone(killed)
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


def alive(pids: set[int]) -> set[int]:
    """Those of `pids` still running (a zombie waits only for its parent to read its status)."""
    running = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            running.add(pid)
    return running


def children_of(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


# A liveness bound for a shared 2-core machine: the children stop gracefully (SIGTERM).
GONE_WITHIN = 30.0


def wait_until_gone(pids: set[int]) -> set[int]:
    deadline = time.monotonic() + GONE_WITHIN
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    return alive(pids)


# As `make run` starts serve: a parent that stays while serve runs.
PARENT = """
import subprocess, sys, time
subprocess.Popen(sys.argv[1:])
time.sleep(3600)
"""


@pytest.mark.parametrize("victim", ["serve", "its parent"])
def test_a_sigkill_of_serve_or_of_make_run_leaves_no_process_and_frees_the_port(instance, victim):
    env, var_dir, _page_id = instance
    port = free_port()
    log = var_dir / "serve.log"
    serve = [sys.executable, str(ROOT / "manage.py"), "serve", "--port", str(port)]
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, *serve, "--stop-with-parent"],
        env=env,
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not answers_healthz(port):
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            assert parent.poll() is None, log.read_text()[-3000:]
            time.sleep(0.3)
        (serve_pid,) = children_of(parent.pid)
        family = descendants(serve_pid) | {serve_pid}
        assert len(family) >= 6  # serve, granian and its 2 workers, db_worker, scheduler
        os.kill(serve_pid if victim == "serve" else parent.pid, signal.SIGKILL)
        assert wait_until_gone(family) == set(), log.read_text()[-3000:]
    finally:
        parent.kill()
        parent.wait()
    assert port_is_free(port)
    # And the next start on the same var dir and port is not refused.
    proc = start_serve(env, port, log)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=40) == 0


def answers_healthz(port: int) -> bool:
    """The site answers (200, or 503 from a bare granian with no task worker or scheduler)."""
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code in (200, 503)
    except httpx.TransportError:
        return False


@pytest.mark.parametrize("instance", ["embedded"], indirect=True)
def test_a_second_serve_on_the_same_var_dir_or_port_is_refused_with_a_message(
    instance, tmp_path_factory
):
    env, var_dir, _page_id = instance
    port = free_port()
    log = var_dir / "serve.log"
    proc = start_serve(env, port, log)
    try:
        second = [sys.executable, str(ROOT / "manage.py"), "serve"]
        same_dir = subprocess.run(
            [*second, "--port", str(free_port())],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        other_dir = {**env, "WEIZHI_VAR_DIR": str(tmp_path_factory.mktemp("other"))}
        same_port = subprocess.run(
            [*second, "--port", str(port)],
            env=other_dir,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.poll() is None
        assert answers_healthz(port)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=40)
    assert same_dir.returncode == 1
    assert f"另一个 serve（进程 {proc.pid}）正在使用数据目录" in same_dir.stderr
    assert same_port.returncode == 1
    assert f"端口 {port} 已被占用" in same_port.stderr


@pytest.mark.parametrize("instance", ["embedded"], indirect=True)
@pytest.mark.parametrize(
    ("how", "when"), [("killed", "answering"), ("killed", "loading"), ("stopped", "loading")]
)
def test_granians_workers_die_with_granian(instance, how, when):
    """Killed (SIGKILL) or stopped (SIGTERM), once it answers or while its workers still load
    weizhi: a signal reaching a loading worker was lost, and it served on, orphaned (killed)
    or with granian waiting for it for ever (stopped, as when serve stops it)."""
    env, var_dir, _page_id = instance
    port = free_port()
    log = var_dir / "granian.log"
    command = [
        sys.executable, "-m", "weizhi.core.granian_main", "--interface", "rsgi",
        "--port", str(port), "--workers", "2", "weizhi.rsgi:application",
    ]  # fmt: skip
    granian = subprocess.Popen(
        command,
        env=env,
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        if when == "loading":
            while len(workers := descendants(granian.pid)) < 2:
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.01)
        else:
            while not answers_healthz(port):
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.3)
            workers = descendants(granian.pid)
        assert len(workers) == 2
        granian.send_signal(signal.SIGKILL if how == "killed" else signal.SIGTERM)
        try:
            granian.wait(timeout=GONE_WITHIN)
        except subprocess.TimeoutExpired:
            pytest.fail(f"granian did not stop: {log.read_text()[-3000:]}")
        assert wait_until_gone(workers) == set()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(granian.pid, signal.SIGKILL)
    assert port_is_free(port)
