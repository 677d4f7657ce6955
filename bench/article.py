#!/usr/bin/env python3
"""How fast weizhi serves one published article, next to nginx serving the same bytes.

    .venv/bin/python bench/article.py [--duration 15] [--connections 64] [--sweep]

Builds a throw-away embedded-mode instance (SQLite, local-memory cache) in a temp dir,
publishes a demo article, serves it with granian as in production and, as a ceiling, the
same bytes as a static file with nginx. wrk loads each; the peak memory of the granian
process tree is sampled from /proc. Afterwards granian is stopped gracefully and the
article's stored read count must equal the 200 responses wrk received, exactly: the wrk
script (article.lua) stops sending a little before wrk stops, so no request is cut off.
A second check stops granian while every read is still in the workers' buffers, to see
whether the flush at exit really happens. Results go to bench/out/article-<time>.json.
"""

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from processes import (
    HOST,
    BenchError,
    MemorySampler,
    ensure_tools,
    fetch,
    free_port,
    process_tree,
    run,
    spawn,
    still_alive,
    stop,
    stop_all,
    wait_ready,
    wrk_report,
)

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
BIN_DIR = Path(sys.executable).parent
LUA = BENCH_DIR / "article.lua"
OUT_DIR = BENCH_DIR / "out"
TARGET_RATIO = 15.0  # weizhi throughput, in % of nginx's
TARGET_P99_MS = 30.0
TARGET_MB = 400.0
# Other processes using more CPU than this during a run make its numbers unreliable.
BUSY_CORES = 0.2
# wrk runs on this long after it stops sending, so every request sent gets its answer.
TAIL_SECONDS = 2
# Settings that would take the instance away from plain embedded production defaults.
STRIPPED_ENV = {
    "DEBUG",
    "DATABASE_URL",
    "REDIS_URL",
    "TASKS_BACKEND",
    "MEDIA_ROOT",
    "SERVE_MEDIA",
    "SECRET_KEY",
    "PAGE_CACHE_SECONDS",
    "COUNTER_FLUSH_SECONDS",
    "COUNTER_BACKGROUND_FLUSH",
    "LOG_LEVEL",
    "DJANGO_SETTINGS_MODULE",
}
MAIN_FIGURES = (
    "rps",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "max_ms",
    "non2xx",
    "socket_errors",
    "unanswered",
)
SWEEP = ["1x1", "1x4", "2x1", "2x2", "2x4", "3x1", "3x2", "4x1"]

# The weizhi instance


class Instance:
    def __init__(
        self, project: Path, var_dir: Path, granian_args: str = "", interface: str = "wsgi"
    ) -> None:
        self.project = project
        self.var_dir = var_dir
        self.granian_args = granian_args.split()
        self.interface = interface
        self.workaround = ""

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in STRIPPED_ENV and not k.startswith("GRANIAN_")
        }
        env.update(WEIZHI_VAR_DIR=str(self.var_dir), ACCESS_LOG_LEVEL="WARNING", **extra)
        return env

    def manage(self, *args: str) -> str:
        cmd = [sys.executable, str(self.project / "manage.py"), *args]
        return run(cmd, env=self.env(), cwd=self.project)

    def prepare(self) -> dict:
        self.manage("migrate", "--noinput", "-v0")
        self.manage("collectstatic", "--noinput", "-v0")
        self.collect_project_static()
        self.manage("setup_site")
        seed = [sys.executable, str(BENCH_DIR / "seed_article.py")]
        return json.loads(run(seed, env=self.env(), cwd=self.project).splitlines()[-1])

    def collect_project_static(self) -> None:
        """Work around weizhi/static being left out of collectstatic, if it still is.

        Without DEBUG every reader page then fails with "Missing staticfiles manifest
        entry". The settings are only widened for collectstatic; the server runs as is.
        """
        manifest = json.loads((self.var_dir / "static" / "staticfiles.json").read_text())
        if "weizhi/reader.css" in manifest["paths"]:
            return
        self.workaround = "collectstatic skips weizhi/static (no STATICFILES_DIRS)"
        print(f"  WARNING: {self.workaround}; collecting it with STATICFILES_DIRS added")
        shim = self.var_dir.parent / "bench_static_settings.py"
        shim.write_text(
            "from weizhi.settings import *  # noqa: F403\n"
            "STATICFILES_DIRS = [BASE_DIR / 'weizhi' / 'static']  # noqa: F405\n"
        )
        path = os.pathsep.join(filter(None, [str(shim.parent), os.environ.get("PYTHONPATH")]))
        env = self.env(DJANGO_SETTINGS_MODULE="bench_static_settings", PYTHONPATH=path)
        cmd = [sys.executable, str(self.project / "manage.py"), "collectstatic", "--noinput", "-v0"]
        run(cmd, env=env, cwd=self.project)

    def reads(self, page_id: int) -> int:
        code = (
            "from weizhi.analytics.models import PageStats\n"
            f"row = PageStats.objects.filter(page_id={page_id}).values_list('reads', flat=True)\n"
            "print(row.first() or 0)"
        )
        return int(self.manage("shell", "-c", code).split()[-1])

    def serve(self, port: int, workers: int, threads: int, log: Path, **env: str):
        granian = BIN_DIR / "granian"
        if not granian.exists():
            raise BenchError(f"no {granian}: run this with the virtualenv's python")
        if self.interface == "rsgi":  # as manage.py serve runs it: threads of weizhi.rsgi
            entry, env = ["weizhi.rsgi:application"], {**env, "WEB_THREADS": str(threads)}
        else:
            entry = ["--blocking-threads", str(threads), "weizhi.wsgi:application"]
        cmd = [
            str(granian),
            "--interface", self.interface,
            "--host", HOST,
            "--port", str(port),
            "--workers", str(workers),
            "--no-access-log",
            *self.granian_args,
            *entry,
        ]  # fmt: skip
        return spawn(cmd, log, env=self.env(**env), cwd=self.project)


# Load


def wrk(url: str, seconds: int, args, count: bool, server_pid: int | None = None) -> dict:
    """One wrk run; in count mode it sends for `seconds` and then waits for the answers."""
    duration = seconds + TAIL_SECONDS if count else seconds
    mode = ["count", str(seconds)] if count else ["plain"]
    cmd = [
        "wrk", "--latency",
        "-t", str(args.wrk_threads),
        "-c", str(args.connections),
        "-d", f"{duration}s",
        "-s", str(LUA),
        url, "--", *mode,
    ]  # fmt: skip
    raw, cpu, output = wrk_report(cmd, duration, server_pid)
    errors = raw["errors"]
    # wrk 4.1 counts as "timeout" a response slower than --timeout; it was still received.
    socket_errors = sum(errors[k] for k in ("connect", "read", "write"))
    if count:
        good, window = raw["ok"], raw["sending_s"]
    else:
        good, window = raw["requests"] - errors["status"], raw["duration_us"] / 1e6
    return {
        "rps": good / window,
        "p50_ms": raw["latency_us"]["p50"] / 1000,
        "p90_ms": raw["latency_us"]["p90"] / 1000,
        "p99_ms": raw["latency_us"]["p99"] / 1000,
        "max_ms": raw["latency_us"]["max"] / 1000,
        "requests": raw["requests"],
        "ok": raw["ok"] if count else good,
        "non2xx": raw["other"] if count else errors["status"],
        "socket_errors": socket_errors,
        "unanswered": raw["sent"] - raw["ok"] - raw["other"] if count else 0,
        "slower_than_timeout": errors["timeout"],
        "cpu": cpu,
        "raw": raw,
        "output": output,
    }


def bench_weizhi(inst: Instance, article: dict, workers: int, threads: int, args, run_dir: Path):
    """Serve, load, stop gracefully, then check the stored reads against wrk's 200s."""
    label = f"{workers}x{threads}"
    before = inst.reads(article["id"])
    port = free_port()
    url = f"http://{HOST}:{port}{article['url']}"
    log = run_dir / f"granian-{label}.log"
    proc = inst.serve(port, workers, threads, log)
    sampler = MemorySampler(proc.pid)
    body, fetched = None, 0
    try:
        wait_ready(proc, f"http://{HOST}:{port}/healthz", log)
        status, body = fetch(url)
        if status != 200:
            raise BenchError(f"{url} answered {status}")
        fetched = 1
        sampler.start()
        warm = wrk(url, args.warmup, args, count=True, server_pid=proc.pid)
        main = wrk(url, args.seconds, args, count=True, server_pid=proc.pid)
        sampler.finish()
        tree = process_tree(proc.pid)
        stop_seconds = stop(proc, signal.SIGINT, 30)
        left = still_alive(tree)
    finally:
        if sampler.is_alive():
            sampler.finish()
        stop(proc)
    stored = inst.reads(article["id"]) - before
    time.sleep(2.5)  # longer than COUNTER_FLUSH_SECONDS: anything late would show now
    stored_later = inst.reads(article["id"]) - before
    expected = fetched + warm["ok"] + main["ok"]
    # A request wrk gave up on, or never had answered, may still have been counted.
    slack = sum(r["socket_errors"] + r["unanswered"] for r in (warm, main))
    consistent = all(r["ok"] + r["non2xx"] == r["requests"] for r in (warm, main))
    return body, {
        "config": label,
        "workers": workers,
        "threads": threads,
        **{k: main[k] for k in MAIN_FIGURES},
        "peak_rss_mb": sampler.peak_rss_kb / 1024,
        "peak_pss_mb": sampler.peak_pss_kb / 1024,
        "processes": sampler.processes,
        "cpu": main["cpu"],
        "reads": {
            "expected": expected,
            "stored": stored,
            "stored_after_wait": stored_later,
            "exact_comparison": slack == 0 and consistent,
            "ok": consistent and stored == stored_later and expected <= stored <= expected + slack,
        },
        "shutdown": {"seconds": stop_seconds, "exit_code": proc.returncode, "left_running": left},
        "warmup": warm,
        "main": main,
    }


def probe_exit_flush(inst: Instance, article: dict, workers: int, threads: int, sig, args, run_dir):
    """Stop granian while all reads are still buffered: only the flush at exit can store them."""
    before = inst.reads(article["id"])
    port = free_port()
    url = f"http://{HOST}:{port}{article['url']}"
    log = run_dir / f"granian-probe-{sig.name}.log"
    proc = inst.serve(port, workers, threads, log, COUNTER_FLUSH_SECONDS="3600")
    try:
        wait_ready(proc, f"http://{HOST}:{port}/healthz", log)
        probe = argparse.Namespace(wrk_threads=2, connections=8)
        load = wrk(url, 1, probe, count=True)
        stop(proc, sig, 30)
    finally:
        stop(proc)
    stored = inst.reads(article["id"]) - before
    slack = load["socket_errors"] + load["unanswered"]
    return {
        "signal": sig.name,
        "answered": load["ok"],
        "stored": stored,
        "exit_code": proc.returncode,
        "ok": load["ok"] <= stored <= load["ok"] + slack,
    }


def bench_nginx(tmp: Path, path: str, body: bytes, args) -> dict:
    prefix = tmp / "nginx"
    root = prefix / "root"
    page = root / path.lstrip("/") / "index.html"
    page.parent.mkdir(parents=True)
    page.write_bytes(body)
    # nginx workers run as nobody when started by root; they must get through the temp dir.
    tmp.chmod(0o711)
    port = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(prefix=prefix, root=root, host=HOST, port=port))
    log = prefix / "error.log"
    proc = spawn(["nginx", "-p", str(prefix), "-c", str(conf), "-e", str(log)], log)
    url = f"http://{HOST}:{port}{path}"
    try:
        wait_ready(proc, url, log)
        if fetch(url)[1] != body:
            raise BenchError("nginx does not serve the saved article bytes")
        wrk(url, args.warmup, args, count=False)
        result = wrk(url, args.seconds, args, count=False, server_pid=proc.pid)
    finally:
        stop(proc, signal.SIGQUIT, 10)
    return result


NGINX_CONF = """\
worker_processes 2;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    keepalive_requests 1000000;
    types {{ text/html html; }}
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen {host}:{port};
        root {root};
    }}
}}
"""


# Report


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(result: dict) -> bool:
    w, n, reads = result["weizhi"], result["nginx"], result["weizhi"]["reads"]
    ratio = result["ratio_percent"]
    checks = {
        f"throughput >= {TARGET_RATIO:.0f} % of nginx": ratio >= TARGET_RATIO,
        f"p99 < {TARGET_P99_MS:.0f} ms": w["p99_ms"] < TARGET_P99_MS,
        f"peak memory < {TARGET_MB:.0f} MB": w["peak_rss_mb"] < TARGET_MB,
        "every read counted": reads["ok"],
        "granian stopped gracefully": w["shutdown"]["exit_code"] == 0
        and not w["shutdown"]["left_running"],
        **{f"flush at exit on {p['signal']}": p["ok"] for p in result["exit_flush"]},
    }
    result["checks"] = checks
    print()
    if result["sweep"]:
        print("granian configurations (workers x blocking threads):")
        for s in result["sweep"]:
            print(
                f"  {s['config']:>5}  {s['rps']:8.0f} req/s  p50 {s['p50_ms']:6.2f} ms  "
                f"p99 {s['p99_ms']:6.2f} ms  {s['peak_rss_mb']:5.0f} MB  "
                f"{s['cpu']['server_us_per_request']:4.0f} us CPU/request  "
                f"other load {s['cpu']['other_cores']:.2f} cores  reads {verdict(s['reads']['ok'])}"
            )
        print()
    print(f"{'':28}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'peak MB':>10}")
    print(
        f"{'weizhi (granian ' + w['config'] + ')':28}{w['rps']:10.0f}{w['p50_ms']:10.2f}"
        f"{w['p99_ms']:10.2f}{w['peak_rss_mb']:10.0f}"
    )
    print(f"{'nginx (static file)':28}{n['rps']:10.0f}{n['p50_ms']:10.2f}{n['p99_ms']:10.2f}")
    print(f"{'weizhi / nginx':28}{ratio:9.1f}%")
    print(
        f"  peak PSS {w['peak_pss_mb']:.0f} MB over {w['processes']} processes; "
        f"errors: weizhi {w['non2xx']} non-2xx, {w['socket_errors']} socket, "
        f"{w['unanswered']} unanswered; "
        f"nginx {n['non2xx']} non-2xx, {n['socket_errors']} socket"
    )
    for name, run_result in (("weizhi", w), ("nginx", n)):
        cpu = run_result["cpu"]
        print(
            f"  CPU during the {name} run: server {cpu['server_cores']:.2f} cores "
            f"({cpu['server_us_per_request']:.0f} us/request), wrk {cpu['wrk_cores']:.2f}, "
            f"other processes {cpu['other_cores']:.2f}, idle {cpu['idle_cores']:.2f}"
        )
    if max(w["cpu"]["other_cores"], n["cpu"]["other_cores"]) > BUSY_CORES:
        print("  WARNING: other processes were using the CPU; these numbers are not reliable")
    print(f"reads counted: {reads['stored']} of {reads['expected']} successful requests", end="")
    print(f" ({reads['stored_after_wait']} after another 2.5 s)")
    if not reads["exact_comparison"]:
        print(
            "  (not exact: wrk saw socket errors or requests left unanswered, which the server"
            " may still have counted; up to that many more reads pass)"
        )
    stopped = w["shutdown"]
    print(
        f"graceful stop (SIGINT): {stopped['seconds']:.1f} s, exit code {stopped['exit_code']}, "
        f"processes left running: {stopped['left_running'] or 'none'}"
    )
    for probe in result["exit_flush"]:
        print(
            f"flush at exit on {probe['signal']}: {probe['stored']} of {probe['answered']} "
            f"buffered reads stored (granian exit code {probe['exit_code']})"
        )
    print()
    for name, ok in checks.items():
        print(f"  {verdict(ok)}  {name}")
    return all(checks.values())


# Main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", dest="seconds", type=int, default=15, help="seconds of load")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up load")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="granian worker processes")
    parser.add_argument("--threads", type=int, default=2, help="granian blocking threads")
    parser.add_argument(
        "--sweep", action="store_true", help=f"first try {', '.join(SWEEP)} and keep the best"
    )
    parser.add_argument("--sweep-duration", type=int, default=6)
    parser.add_argument(
        "--granian-args", default="", help='more granian options, e.g. "--backpressure 8"'
    )
    parser.add_argument(
        "--interface",
        choices=["wsgi", "rsgi"],
        default="wsgi",
        help="granian's WSGI (as deploy/ runs it) or RSGI with weizhi.rsgi (as manage.py serve)",
    )
    parser.add_argument("--project", type=Path, default=ROOT, help="checkout to benchmark")
    parser.add_argument("--keep", action="store_true", help="keep the temp instance")
    return parser.parse_args()


def sweep(inst: Instance, article: dict, args, run_dir: Path) -> list[dict]:
    short = argparse.Namespace(**{**vars(args), "seconds": args.sweep_duration, "warmup": 2})
    results = []
    for config in SWEEP:
        workers, threads = (int(x) for x in config.split("x"))
        print(f"sweep: granian {config} ...", flush=True)
        results.append(bench_weizhi(inst, article, workers, threads, short, run_dir)[1])
    return results


def measure(args: argparse.Namespace, tmp: Path) -> dict:
    inst = Instance(args.project.resolve(), tmp / "var", args.granian_args, args.interface)
    print(f"preparing an embedded instance in {tmp} ...", flush=True)
    article = inst.prepare()
    print(f"article: {article['url']} (page {article['id']})")
    results = sweep(inst, article, args, tmp) if args.sweep else []
    if results:
        best = max(results, key=lambda r: r["rps"])
        args.workers, args.threads = best["workers"], best["threads"]
    print(f"weizhi: granian {args.workers}x{args.threads}, {args.seconds} s ...", flush=True)
    body, weizhi = bench_weizhi(inst, article, args.workers, args.threads, args, tmp)
    print(f"nginx: {args.seconds} s ...", flush=True)
    nginx = bench_nginx(tmp, article["url"], body, args)
    print("flush at exit: stopping granian with every read still buffered ...", flush=True)
    probes = [
        probe_exit_flush(inst, article, args.workers, args.threads, sig, args, tmp)
        for sig in (signal.SIGINT, signal.SIGTERM)
    ]
    describe = ["git", "describe", "--always", "--dirty"]
    return {
        "timestamp": datetime.now().astimezone().isoformat(timespec="seconds"),
        "commit": run(describe, cwd=inst.project).strip(),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "args": {k: str(v) for k, v in vars(args).items()},
        "article": {**article, "bytes": len(body)},
        "workaround": inst.workaround,
        "weizhi": weizhi,
        "nginx": nginx,
        "ratio_percent": 100 * weizhi["rps"] / nginx["rps"],
        "exit_flush": probes,
        "sweep": results,
    }


def main() -> int:
    args = parse_args()
    # Ctrl-C and kill both end in the clean-up below, even when started with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    ensure_tools()
    tmp = Path(tempfile.mkdtemp(prefix="weizhi-bench-"))
    try:
        result = measure(args, tmp)
        passed = report(result)
        OUT_DIR.mkdir(exist_ok=True)
        out = OUT_DIR / f"article-{datetime.now():%Y%m%d-%H%M%S}.json"
        out.write_text(json.dumps(result, ensure_ascii=False, indent=2))
        print(f"\nresults: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
        return 0 if passed else 1
    except BenchError as error:
        print(f"bench failed: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; stopping everything", file=sys.stderr)
        return 130
    finally:
        stop_all()
        if args.keep:
            print(f"instance kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
