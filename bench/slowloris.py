#!/usr/bin/env python3
"""Does the site keep answering while clients stall in the middle of their request bodies?

    .venv/bin/python bench/slowloris.py [--stalled 0,16,64] [--probes 5] [--timeout 5]

Builds a throw-away embedded-mode instance (SQLite) in a temp dir, with a WeChat account in
plain mode, and serves it with `manage.py serve` (2 workers x 4 threads, no task worker or
scheduler), as `make run` does. For each count in --stalled it opens that many connections to
127.0.0.1 that send a POST's headers (Content-Length 4096) and 16 bytes of body to the WeChat
callback and /me/login/, and then say nothing more; a second later it times --probes requests
each to the home page, /healthz and the callback (a signed text message, as WeChat sends),
one at a time, each with --timeout seconds to answer. It prints the slowest answer of each and
how many got none. Loopback only; at most 256 stalled connections, each run under a minute.
"""

import argparse
import http.client
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

from processes import HOST, free_port, run, spawn, stop, stop_all, wait_ready

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))

from weizhi.wechat.protocol.sender import Sender, message_xml, new_msg_id  # noqa: E402

MAX_STALLED = 256
TOKEN = "slowlorisbench"
ACCOUNT = {
    "WECHAT_APP_ID": "wx0000000000000000",
    "WECHAT_APP_SECRET": "0" * 32,
    "WECHAT_TOKEN": TOKEN,
    "WECHAT_MESSAGE_MODE": "plain",
    "WECHAT_API_BASE": "http://127.0.0.1:9",  # nothing is sent out during the run
}
STALLED_PATHS = ["/wechat/callback/?signature=x&timestamp=1&nonce=1", "/me/login/"]


def instance_env(var_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GRANIAN_", "WECHAT_"))
        and k not in {"DATABASE_URL", "REDIS_URL", "TASKS_BACKEND", "DEBUG", "SECRET_KEY"}
    }
    env.update(WEIZHI_VAR_DIR=str(var_dir), ACCESS_LOG_LEVEL="WARNING", **ACCOUNT)
    return env


def stall(port: int, count: int) -> list[socket.socket]:
    """Connections that sent headers and the first bytes of a body, then nothing."""
    held = []
    for number in range(count):
        path = STALLED_PATHS[number % len(STALLED_PATHS)]
        sock = socket.create_connection((HOST, port), timeout=5)
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 4096\r\n\r\nusername=stalled".encode()
        )
        held.append(sock)
    return held


def callback_request() -> tuple[str, bytes]:
    fields = {
        "ToUserName": "gh_000000000000",
        "FromUserName": "oSlowlorisBench",
        "CreateTime": int(time.time()),
        "MsgType": "text",
        "Content": "你好",
        "MsgId": new_msg_id(),
    }
    params, body = Sender(token=TOKEN).seal(message_xml(fields))
    return "/wechat/callback/?" + "&".join(f"{k}={v}" for k, v in params.items()), body


def probe(port: int, name: str, timeout: float) -> float | None:
    """Seconds until the answer, or None when none came in time (or it was not a 200)."""
    started = time.monotonic()
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        if name == "callback":
            path, body = callback_request()
            connection.request("POST", path, body, {"Content-Type": "text/xml"})
        else:
            connection.request("GET", name)
        response = connection.getresponse()
        response.read()
        return time.monotonic() - started if response.status == 200 else None
    except OSError:
        return None
    finally:
        connection.close()


def measure(port: int, stalled: int, probes: int, timeout: float) -> dict:
    held = stall(port, stalled)
    try:
        time.sleep(1)
        results = {}
        for name in ("/", "/healthz", "callback"):
            times = [probe(port, name, timeout) for _ in range(probes)]
            answered = [t for t in times if t is not None]
            results[name] = {
                "answered": len(answered),
                "max_s": max(answered) if answered else None,
                "median_s": statistics.median(answered) if answered else None,
            }
        return results
    finally:
        for sock in held:
            sock.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stalled", default="0,16,64")
    parser.add_argument("--probes", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args()
    counts = [min(int(c), MAX_STALLED) for c in args.stalled.split(",")]
    with tempfile.TemporaryDirectory(prefix="weizhi-slowloris-") as tmp:
        var_dir = Path(tmp)
        env = instance_env(var_dir)
        manage = [sys.executable, str(ROOT / "manage.py")]
        print("preparing an embedded instance ...")
        run([*manage, "migrate", "--noinput", "-v0"], env=env, cwd=ROOT)
        run([*manage, "collectstatic", "--noinput", "-v0"], env=env, cwd=ROOT)
        run([*manage, "setup_site"], env=env, cwd=ROOT)
        port = free_port()
        log = var_dir / "serve.log"
        serve = [*manage, "serve", "--port", str(port), "--no-worker", "--no-scheduler"]
        proc = spawn(serve, log, env=env, cwd=ROOT)
        try:
            wait_ready(proc, f"http://{HOST}:{port}/healthz", log)
            for _ in range(4):  # each worker renders the pages once and caches them
                for name in ("/", "/healthz"):
                    probe(port, name, args.timeout)
            print(f"{'stalled':>8}  {'probe':<10}{'answered':>10}{'median s':>10}{'max s':>10}")
            for count in counts:
                for name, result in measure(port, count, args.probes, args.timeout).items():
                    median = result["median_s"]
                    slowest = result["max_s"]
                    print(
                        f"{count:>8}  {name:<10}{result['answered']:>6} of {args.probes}"
                        f"{'' if median is None else f'{median:10.3f}':>10}"
                        f"{'' if slowest is None else f'{slowest:10.3f}':>10}"
                    )
                time.sleep(1)
        finally:
            stop(proc)
            stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
