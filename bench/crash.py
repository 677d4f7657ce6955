#!/usr/bin/env python3
"""What a kill -9 of every weizhi process loses: reads answered against reads stored.

    .venv/bin/python bench/crash.py [--duration 5] [--connections 64] [--project PATH]

Builds a throw-away embedded instance as bench/article.py does and runs `manage.py serve`
(granian, the task worker and the scheduler). wrk loads the demo article for a few seconds
and stops sending a little before it ends; half a second after it stopped sending (every
request it sent answered by then) every process of the tree gets SIGKILL at once, as from
the OOM killer.
The stored count is read at once (what survived the crash itself), then `manage.py serve`
starts again and the stored count is watched until it reaches the answered one or
--settle seconds pass. --project measures another checkout (an older commit, say) the same
way. Results go to bench/out/crash-<time>.json.
"""

import argparse
import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

from article import OUT_DIR, ROOT, Instance, wrk
from processes import (
    HOST,
    BenchError,
    ensure_tools,
    free_port,
    process_tree,
    run,
    spawn,
    stop,
    stop_all,
    wait_ready,
)

# The kill comes this long after wrk stops sending: its requests are answered by then, and
# a counter flushed every COUNTER_FLUSH_SECONDS (2) still holds most of the last seconds.
AFTER_LAST_SEND = 0.5


def serve(inst: Instance, port: int, log: Path):
    cmd = [sys.executable, str(inst.project / "manage.py"), "serve", "--port", str(port)]
    proc = spawn(cmd, log, env=inst.env(), cwd=inst.project)
    wait_ready(proc, f"http://{HOST}:{port}/healthz", log)
    return proc


def kill_tree(proc) -> int:
    tree = process_tree(proc.pid)
    for pid, _start in tree:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait(10)
    return len(tree)


def measure(args: argparse.Namespace, tmp: Path) -> dict:
    inst = Instance(args.project.resolve(), tmp / "var")
    print(f"preparing an embedded instance in {tmp} ...", flush=True)
    article = inst.prepare()
    port = args.port or free_port()
    url = f"http://{HOST}:{port}{article['url']}"
    log = tmp / "serve.log"
    before = inst.reads(article["id"])
    proc = serve(inst, port, log)
    loads: list[dict] = []
    try:
        print(f"wrk: {args.seconds} s on {url} ...", flush=True)
        loading = threading.Thread(
            target=lambda: loads.append(wrk(url, args.seconds, args, True, proc.pid))
        )
        loading.start()
        # wrk has stopped sending and had its last answers; it waits out its tail meanwhile.
        time.sleep(args.seconds + AFTER_LAST_SEND)
    finally:
        killed = kill_tree(proc)
    loading.join()
    if not loads:
        raise BenchError("wrk failed; see above")
    load = loads[0]
    answered = load["ok"]
    slack = load["socket_errors"] + load["unanswered"]
    at_once = inst.reads(article["id"]) - before
    print(f"killed {killed} processes; {at_once} of {answered} reads stored; restarting ...")
    proc = serve(inst, port, log)
    started = time.monotonic()
    try:
        stored = at_once
        while time.monotonic() - started < args.settle:
            stored = inst.reads(article["id"]) - before
            if stored >= answered:
                break
            time.sleep(1)
        settled_after = time.monotonic() - started
    finally:
        stop(proc, signal.SIGINT, 30)
    final = inst.reads(article["id"]) - before
    describe = ["git", "describe", "--always", "--dirty"]
    return {
        "timestamp": datetime.now().astimezone().isoformat(timespec="seconds"),
        "commit": run(describe, cwd=inst.project).strip(),
        "args": {k: str(v) for k, v in vars(args).items()},
        "rps": load["rps"],
        "answered": answered,
        "slack": slack,
        "stored_right_after_kill": at_once,
        "stored_after_restart": final,
        "seconds_to_settle": settled_after,
        "lost": max(0, answered - final),
        "ok": answered <= final <= answered + slack,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", dest="seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--settle", type=float, default=60, help="seconds to wait after restart")
    parser.add_argument("--port", type=int, default=0, help="default: any free port")
    parser.add_argument("--project", type=Path, default=ROOT, help="checkout to measure")
    args = parser.parse_args()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    ensure_tools()
    tmp = Path(tempfile.mkdtemp(prefix="weizhi-crash-"))
    try:
        result = measure(args, tmp)
    except BenchError as error:
        print(f"bench failed: {error}", file=sys.stderr)
        return 2
    finally:
        stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"\n{result['answered']} reads answered at {result['rps']:.0f}/s; "
        f"{result['stored_right_after_kill']} stored right after kill -9, "
        f"{result['stored_after_restart']} after the restart "
        f"({result['seconds_to_settle']:.1f} s); lost {result['lost']}"
    )
    print(f"  {'PASS' if result['ok'] else 'FAIL'}  every answered read stored")
    OUT_DIR.mkdir(exist_ok=True)
    out = OUT_DIR / f"crash-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(result, indent=2))
    print(f"results: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
