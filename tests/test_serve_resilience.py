"""`manage.py serve` under hostile clients and crashes: stalled request bodies hold no web
thread, and a killed web worker or task worker is replaced while the site keeps answering."""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.test_serve import ROOT, free_port, manage
from weizhi.wechat.protocol.sender import Sender, message_xml, new_msg_id

TOKEN = "resiliencetoken"
ACCOUNT = {
    "WECHAT_APP_ID": "wx0000000000000000",
    "WECHAT_APP_SECRET": "0" * 32,
    "WECHAT_TOKEN": TOKEN,
    "WECHAT_MESSAGE_MODE": "plain",
    "WECHAT_API_BASE": "http://127.0.0.1:9",
}
# A liveness bound (answers vs. hangs), generous for a shared 2-core machine.
ANSWER_WITHIN = 10.0


def clean_env() -> dict:
    """This process's environment without the scaled-mode and WeChat settings."""
    drop = {"DATABASE_URL", "REDIS_URL", "TASKS_BACKEND"}
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("WECHAT_")}


def start_serve(env: dict, log: Path) -> tuple[subprocess.Popen, int]:
    """`manage.py serve` on a free port, its output in `log`."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    return proc, port


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("resilience")
    env = clean_env()
    env.update(WEIZHI_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1", ACCESS_LOG_LEVEL="WARNING")
    env.update(ACCOUNT)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    manage(env, "setup_site")
    log = var_dir / "serve.log"
    proc, port = start_serve(env, log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: answers(base, "/healthz"), 60, proc, log)
        yield proc, base, port, log
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=40)


def answers(base: str, path: str) -> bool:
    try:
        return httpx.get(base + path, timeout=ANSWER_WITHIN).status_code == 200
    except httpx.TransportError:
        return False


def wait_for(check, seconds: float, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert proc.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.3)


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def child_running(serve_pid: int, marker: str) -> int | None:
    for pid in children(serve_pid):
        try:
            if marker in cmdline(pid):
                return pid
        except FileNotFoundError:
            continue
    return None


def signed_text(content: str, sender: str = "oResilienceTest") -> tuple[str, bytes]:
    fields = {
        "ToUserName": "gh_000000000000",
        "FromUserName": sender,
        "CreateTime": int(time.time()),
        "MsgType": "text",
        "Content": content,
        "MsgId": new_msg_id(),
    }
    params, body = Sender(token=TOKEN).seal(message_xml(fields))
    return "/wechat/callback/?" + "&".join(f"{k}={v}" for k, v in params.items()), body


def test_sixty_four_stalled_request_bodies_leave_the_site_and_the_callback_answering(server):
    proc, base, port, _log = server
    stalled = []
    try:
        for number in range(64):
            path = "/wechat/callback/?signature=x&timestamp=1&nonce=1" if number % 2 else "/"
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4096\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n\r\nstalled=".encode()
            )
            stalled.append(sock)
        time.sleep(1)
        for path in ("/", "/healthz", "/", "/healthz"):
            assert answers(base, path), f"{path} did not answer with 64 stalled bodies"
        url, body = signed_text("你好")
        response = httpx.post(
            base + url, content=body, headers={"Content-Type": "text/xml"}, timeout=ANSWER_WITHIN
        )
        assert response.status_code == 200
    finally:
        for sock in stalled:
            sock.close()
    assert proc.poll() is None


def stored_messages(var_dir: Path, openid: str) -> list[tuple[str, int]]:
    with sqlite3.connect(var_dir / "weizhi.sqlite3") as db:
        return db.execute(
            "SELECT content, duplicates FROM wechat_inboundmessage WHERE openid = ?"
            " ORDER BY content",
            (openid,),
        ).fetchall()


def test_messages_answered_from_the_event_loop_are_stored_once_and_answered_like_wsgi(server):
    """Under RSGI the callback is answered by a coroutine once the process's writer thread has
    stored the message: the same answer as the WSGI door's, every message kept once, and a
    retry answered from the first delivery."""
    from weizhi.wechat.callback.fastpath import CALLBACK_PATH

    _proc, base, _port, log = server
    sent = [signed_text(f"你好 {n}", sender="oLoop") for n in range(24)]
    with httpx.Client(base_url=base, timeout=ANSWER_WITHIN) as client:

        def post(request: tuple[str, bytes], rid: str = "") -> httpx.Response:
            url, body = request
            headers = {"Content-Type": "text/xml"} | ({"X-Request-ID": rid} if rid else {})
            return client.post(url, content=body, headers=headers)

        with ThreadPoolExecutor(max_workers=12) as pool:  # in flight together: one batch
            answers = list(pool.map(post, sent))
        first = post(sent[0], rid="f00dfeed")  # WeChat's retry of a late answer
    for response in [*answers, first]:
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert response.headers["content-length"] == str(len(response.content))
        assert response.text == "success"  # no rule answers these words: WeChat's "no reply"
    assert first.headers["x-request-id"] == "f00dfeed"
    assert len({r.headers["x-request-id"] for r in answers}) == len(answers)
    stored = stored_messages(log.parent, "oLoop")
    assert sorted(content for content, _ in stored) == sorted(f"你好 {n}" for n in range(24))
    assert dict(stored)["你好 0"] == 1  # the retry counted, not stored again
    assert sum(duplicates for _, duplicates in stored) == 1
    assert CALLBACK_PATH in sent[0][0]


def test_a_web_worker_killed_by_sigkill_is_replaced_and_the_site_keeps_answering(server):
    proc, base, _port, log = server
    granian = child_running(proc.pid, "granian")
    workers = set(children(granian))
    assert len(workers) == 2
    victim = min(workers)
    os.kill(victim, signal.SIGKILL)

    wait_for(lambda: len(set(children(granian)) - {victim}) == 2, 30, proc, log)
    assert child_running(proc.pid, "granian") == granian
    for _ in range(10):
        assert answers(base, "/healthz")
        assert answers(base, "/")
    assert "Unexpected exit from worker" in log.read_text()


def test_a_task_worker_that_dies_is_restarted_by_serve(server):
    proc, base, _port, log = server
    worker = child_running(proc.pid, "db_worker")
    assert worker is not None
    os.kill(worker, signal.SIGKILL)

    def replaced() -> bool:
        now = child_running(proc.pid, "db_worker")
        return now is not None and now != worker

    wait_for(replaced, 30, proc, log)
    assert child_running(proc.pid, "scheduler") is not None
    assert answers(base, "/healthz")
    assert "serve: worker" in log.read_text()
    assert "killed by SIGKILL" in log.read_text()


def test_a_body_over_the_size_limit_is_refused_before_it_is_read(server):
    _proc, _base, port, log = server
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_WITHIN) as sock:
        sock.sendall(
            f"POST /me/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-ID: refused-413\r\n"
            f"Content-Length: {101 * 1024 * 1024}\r\n\r\nx".encode()
        )
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413")
    assert "请求内容过大".encode() in answer
    assert b"x-request-id: refused-413" in answer.lower()
    refused = [line for line in log.read_text().splitlines() if "request body refused" in line]
    assert refused and "rid=refused-413 " in refused[-1]


def test_a_query_in_raw_utf8_is_read_as_the_words_it_carries(server):
    """Browsers percent-encode a query; some clients send its UTF-8 bytes as they are."""
    _proc, _base, port, _log = server
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_WITHIN) as sock:
        sock.sendall(
            "GET /search/?q=党章 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
        )
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert "党章".encode() in answer


def test_a_large_response_is_streamed_whole(server):
    _proc, base, _port, log = server
    media = log.parent / "media"
    media.mkdir(exist_ok=True)
    payload = os.urandom(3 * 1024 * 1024)
    (media / "big.bin").write_bytes(payload)
    response = httpx.get(base + "/media/big.bin", timeout=ANSWER_WITHIN)
    assert response.status_code == 200
    assert response.content == payload


def test_healthz_sees_the_scheduler_of_serve_stop_and_come_back(tmp_path):
    """Across processes: the scheduler that serve starts ticks, a web worker reads the tick;
    a scheduler that stops ticking (SIGSTOP: serve would replace a dead one) turns /healthz
    into 503 for this machine and the public, and its return makes it 200 again."""
    env = clean_env()
    env.update(
        WEIZHI_VAR_DIR=str(tmp_path),
        PYTHONUNBUFFERED="1",
        ACCESS_LOG_LEVEL="WARNING",
        HEALTH_SCHEDULER_MAX_SECONDS="5",
    )
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    log = tmp_path / "serve.log"
    proc, port = start_serve(env, log)
    base = f"http://127.0.0.1:{port}"

    def health() -> httpx.Response | None:
        try:
            return httpx.get(base + "/healthz", timeout=ANSWER_WITHIN)
        except httpx.TransportError:
            return None

    def status_is(code: int) -> bool:
        response = health()
        return response is not None and response.status_code == code

    scheduler = None
    try:
        wait_for(lambda: status_is(200), 60, proc, log)
        assert health().json()["scheduler"]["ticked"] is True
        scheduler = child_running(proc.pid, "scheduler")
        assert scheduler is not None
        os.kill(scheduler, signal.SIGSTOP)
        wait_for(lambda: status_is(503), 60, proc, log)
        report = health().json()
        assert "scheduler" in report["failing"]
        assert report["scheduler"]["seconds_since_tick"] > 5
        public = httpx.get(base + "/healthz", headers={"X-Forwarded-For": "203.0.113.9"})
        assert public.status_code == 503 and public.json() == {"ok": False}
        os.kill(scheduler, signal.SIGCONT)
        wait_for(lambda: status_is(200), 60, proc, log)
    finally:
        if scheduler is not None:
            os.kill(scheduler, signal.SIGCONT)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=40)
    assert "health check failed: scheduler=" in log.read_text()
