#!/usr/bin/env python3
"""How many WeChat messages a second weizhi's callback stores and answers, in safe mode.

    .venv/bin/python bench/callback.py [--mode embedded|scaled|both] [--seconds 10]

64 senders (wrk connections) POST AES-encrypted, signed messages to /wechat/callback/: 60 %
texts (four keyword rules and the default reply), 25 % menu clicks (two with a rule, one
without: "success"), 15 % subscribes from new followers (a welcome reply and a follower
row), and 3 % of them a second time, as WeChat retries a late answer: half racing the first
delivery on another connection, half a few hundred messages later. Each mode gets a fresh
instance, migrated and seeded with reply rules (callback_seed.py), served by granian the way
`manage.py serve` runs it by default (2 workers x 4 threads, the callback on a thread of its
own in each, CALLBACK_THREADS; the access log at WARNING as in
bench/article.py; no task worker, as no message here makes a task): embedded is SQLite;
scaled is PostgreSQL (database wz_bench_cb, or --pg-database, created and dropped here) and
Redis (keys under a prefix of this run's own).

Each mode then gets a second run of the same length and mix at its target rate (1,000
messages/s embedded, 1,500 scaled) on a fixed schedule: an open loop, as WeChat's servers
send messages when followers write, not when the last answer came back. With 64 senders
that each wait for their answer, the first run's latency is mostly queueing: by Little's
law the mean is 64 / (messages/s), whatever the server does with a message. The scheduled
run says how long a message waits at the load the target names; its p99 is bounded from
above with the lateness of every send (see callback_load.run_wrk), so a server that falls
behind cannot hide it. --no-paced skips it.

The load is sealed ahead of time by callback_load.py and replayed by wrk, because Python
sealing costs ~75 us a message. Replaying sealed requests, wrk (2 threads, Lua checking
every answer) cost 30 us of CPU per request against the baseline, a keep-alive Python
client (2 processes x 32 raw sockets, selectors) 48 us: wrk takes less from the server on
this 2-core machine, and what it takes is printed with every run.

After each run the database must hold exactly one row per distinct message sent, each with
the reply its rule gives and a retry count equal to the deliberate retries sent (a retry is
answered from the first delivery); one follower per subscribe; every 200 a well-formed
encrypted reply or "success", and a sample of them decrypted and checked with
Sender.open_reply. "duplicates processed" counts any side effect run twice.

Baseline, measured in the same run: callback_baseline.py, a bare WSGI app under the same
granian settings that checks the signatures, decrypts, parses and answers every message
with an encrypted text reply, with weizhi's own protocol package and nothing else. It is
the floor of what any callback must spend per message, so the ratio is the share of
throughput left after Django, reply routing and the database. nginx cannot do the AES and
signature work, so it would only measure HTTP, which is not what costs here.

--profile serves weizhi under cProfile (callback_profile.py) and prints where the time
goes; it does not measure the code as it is, so it cannot pass. Results go to
bench/out/callback-<time>.json.
"""

import argparse
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from datetime import datetime
from pathlib import Path

from processes import (
    HOST,
    BenchError,
    ensure_tools,
    free_port,
    run,
    spawn,
    stop,
    stop_all,
    wait_ready,
)

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(1, str(ROOT))

from callback_load import (  # noqa: E402
    ACCOUNT_ID,
    CLICKS,
    TEXTS,
    Account,
    Phase,
    build_phase,
    new_account,
    run_wrk,
    write_phase,
)
from callback_seed import WELCOME  # noqa: E402

BIN_DIR = Path(sys.executable).parent
OUT_DIR = BENCH_DIR / "out"
TARGETS = {"embedded": 1000.0, "scaled": 1500.0}  # messages/s
TARGET_P99_MS = 50.0
PACED_SLACK = 1.05  # messages sealed for a paced phase, over rate x seconds
KEPT_UP = 0.95  # share of the target rate a paced phase must reach
PG_DATABASE = "wz_bench_cb"
PG_ADMIN = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-q", "-c"]
REDIS_URL = "redis://127.0.0.1:6379/0"
BUSY_CORES = 0.2
MIN_RATE = 2500.0  # messages/s sealed for a run, at least; more if the warm-up was faster
STRIPPED_ENV = {
    "DEBUG",
    "DATABASE_URL",
    "REDIS_URL",
    "TASKS_BACKEND",
    "MEDIA_ROOT",
    "SERVE_MEDIA",
    "SECRET_KEY",
    "CACHE_PREFIX",
    "LOG_LEVEL",
    "DJANGO_SETTINGS_MODULE",
}


class Server:
    """A weizhi instance (embedded or scaled), or the protocol-only baseline."""

    def __init__(self, mode: str, tmp: Path, account: Account, args) -> None:
        self.mode = mode
        self.var_dir = tmp / mode / "var"
        self.var_dir.mkdir(parents=True)
        self.account = account
        self.args = args
        self.extra: dict[str, str] = {}
        if mode == "scaled":
            self.extra = {
                "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{args.pg_database}",
                "REDIS_URL": args.redis_url,
                "SECRET_KEY": secrets.token_urlsafe(40),
                "CACHE_PREFIX": f"wzbenchcb{os.getpid()}",
            }

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in STRIPPED_ENV and not k.startswith(("GRANIAN_", "WECHAT_"))
        }
        env.update(WEIZHI_VAR_DIR=str(self.var_dir), ACCESS_LOG_LEVEL="WARNING")
        env.update(self.account.env(), **self.extra, **extra)
        return env

    def python(self, *args: str) -> str:
        return run([sys.executable, *args], env=self.env(), cwd=ROOT)

    def prepare(self) -> None:
        if self.mode == "baseline":
            return
        if self.mode == "scaled":
            run([*PG_ADMIN, f"DROP DATABASE IF EXISTS {self.args.pg_database} WITH (FORCE)"])
            run([*PG_ADMIN, f"CREATE DATABASE {self.args.pg_database}"])
        self.python("manage.py", "migrate", "--noinput", "-v0")
        self.python(str(BENCH_DIR / "callback_seed.py"), "seed")

    def stored(self, prefix: str) -> dict:
        out = self.python(str(BENCH_DIR / "callback_seed.py"), "verify", prefix)
        return json.loads(out.splitlines()[-1])

    def serve(self, port: int, log: Path) -> subprocess.Popen:
        granian = BIN_DIR / "granian"
        if not granian.exists():
            raise BenchError(f"no {granian}: run this with the virtualenv's python")
        if self.mode == "baseline":
            target, cwd, env = "callback_baseline:application", BENCH_DIR, {"PYTHONPATH": str(ROOT)}
        elif self.args.profile:
            target, cwd = "callback_profile:application", ROOT
            env = {"PYTHONPATH": str(BENCH_DIR), "BENCH_PROFILE_DIR": str(self.var_dir)}
        elif self.args.interface == "rsgi":  # as manage.py serve runs it
            target, cwd, env = (
                "weizhi.rsgi:application",
                ROOT,
                {"WEB_THREADS": str(self.args.threads)},
            )
        else:
            target, cwd, env = "weizhi.wsgi:application", ROOT, {}
        interface = "rsgi" if target == "weizhi.rsgi:application" else "wsgi"
        threads = [] if interface == "rsgi" else ["--blocking-threads", str(self.args.threads)]
        cmd = [
            str(granian), "--interface", interface, "--host", HOST, "--port", str(port),
            "--workers", str(self.args.workers), *threads,
            "--no-access-log", *self.args.granian, target,
        ]  # fmt: skip
        return spawn(cmd, log, env=self.env(**env), cwd=cwd)

    def clean_up(self) -> None:
        if self.mode != "scaled":
            return
        try:
            run([*PG_ADMIN, f"DROP DATABASE IF EXISTS {self.args.pg_database} WITH (FORCE)"])
            import redis

            client = redis.Redis.from_url(self.args.redis_url)
            keys = list(client.scan_iter(f"{self.extra['CACHE_PREFIX']}:*"))
            if keys:
                client.delete(*keys)
        except (BenchError, OSError) as error:
            print(f"  clean-up of the scaled instance failed: {error}")


# One mode


def load(
    server: Server,
    url: str,
    name: str,
    rate: float,
    seconds: int,
    pid: int,
    tmp: Path,
    *,
    paced: bool = False,
):
    """Seal a phase's messages now (fresh timestamps), then send them with wrk: as fast as
    answers come (`rate` only sizes the phase), or `paced` at `rate` on a fixed schedule."""
    args = server.args
    prefix = f"bcb{server.mode[0]}{name[0]}"
    host = url.split("/")[2]
    seed = random.randrange(2**32)
    sealed = rate * PACED_SLACK if paced else rate
    phase = build_phase(prefix, sealed, seconds, args.wrk_threads, server.account, host, seed)
    directory = tmp / server.mode / name
    write_phase(phase, directory)
    result = run_wrk(
        url, directory, seconds, args.wrk_threads, args.connections, pid, rate if paced else 0.0
    )
    return phase, result


def bench_mode(mode: str, tmp: Path, account: Account, args) -> dict:
    server = Server(mode, tmp, account, args)
    print(f"{mode}: preparing ...", flush=True)
    server.prepare()
    port = free_port()
    url = f"http://{HOST}:{port}/wechat/callback/"
    log = tmp / f"granian-{mode}.log"
    proc = server.serve(port, log)
    try:
        wait_ready(proc, f"http://{HOST}:{port}/healthz", log)
        print(f"{mode}: warm-up {args.warmup} s, then {args.seconds} s of load ...", flush=True)
        warm_phase, warm = load(server, url, "warmup", MIN_RATE, args.warmup, proc.pid, tmp)
        rate = max(MIN_RATE, 1.6 * warm["rps"])
        phase, main = load(server, url, "main", rate, args.seconds, proc.pid, tmp)
        paced_phase = paced = None
        if mode in TARGETS and not args.no_paced:
            print(f"{mode}: {args.seconds} s at {TARGETS[mode]:.0f} messages/s ...", flush=True)
            paced_phase, paced = load(
                server, url, "paced", TARGETS[mode], args.seconds, proc.pid, tmp, paced=True
            )
        stop_seconds = stop(proc, signal.SIGINT, 30)
    finally:
        stop(proc)
    result = {"mode": mode, "warmup": summary(warm), "stop_seconds": stop_seconds, **main}
    result["server_errors"] = errors_in(log)
    if mode != "baseline":
        result["checks"] = check_stored(phase, main, server.stored(phase.prefix))
        result["warmup"]["checks"] = check_stored(
            warm_phase, warm, server.stored(warm_phase.prefix)
        )
    if paced is not None:
        result["paced"] = summary(paced) | {
            k: paced[k] for k in ("rate", "late_p995_ms", "late_max_ms", "p99_bound_ms")
        }
        result["paced"]["checks"] = check_stored(
            paced_phase, paced, server.stored(paced_phase.prefix)
        )
    result["replies"] = check_samples(main["samples"], account, phase.prefix, mode == "baseline")
    del result["samples"]
    if args.profile and mode != "baseline":
        result["profile"] = profile_report(server.var_dir)
    server.clean_up()
    return result


NOISE = ("Traceback", "The above", "During", "[")


def errors_in(log: Path, most: int = 3) -> list[str]:
    """The server's error lines, each with the last line of its traceback."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    found = []
    for n, line in enumerate(lines):
        if " ERROR " in line and len(found) < most:
            after = lines[n + 1 : n + 80]
            cause = next(
                (x for x in after if x and not x[0].isspace() and not x.startswith(NOISE)), ""
            )
            found.append(f"{line[:200]} / {cause[:200]}")
    return found


def summary(result: dict) -> dict:
    keep = (
        "rps", "p50_ms", "p90_ms", "p99_ms", "max_ms", "sent", "ok", "non200", "socket_errors",
        "unanswered", "exhausted",
    )  # fmt: skip
    return {k: result[k] for k in keep}


# Checks


def expected_reply(kind: str, text_or_key: str) -> str | None:
    if kind == "subscribe":
        return WELCOME
    table = dict(TEXTS) if kind == "text" else dict(CLICKS)
    return table[text_or_key]


def check_stored(phase: Phase, wrk: dict, db: dict) -> dict:
    """Hold the rows the server stored against the messages wrk sent and had answered."""
    sent = phase.sent(wrk["sent_by_thread"])
    unique = {m.key for m in sent}
    retries = Counter(m.key for m in sent if m.retry)
    subscribes = {m.key for m in sent if m.kind == "subscribe"}
    no_reply = sum(1 for m in sent if m.reply is None)
    wrong = 0
    for group in db["groups"]:
        kind = {"text": "text", "event": None}[group["msg_type"]]
        if kind is None:
            kind = "subscribe" if group["event"] == "subscribe" else "click"
        expected = expected_reply(kind, group["content"] if kind == "text" else group["event_key"])
        status = "replied" if expected else "no_reply"
        if group["reply__content"] != expected or group["status"] != status:
            wrong += group["n"]
    retried = Counter(db["retried"])
    every_answered = wrk["unanswered"] == 0 and wrk["non200"] == 0 and wrk["socket_errors"] == 0
    return {
        "unique_sent": len(unique),
        "retries_sent": sum(retries.values()),
        "rows": db["rows"],
        "stored_equals_unique": db["rows"] == db["keys"] == len(unique),
        "retries_recognised": db["retries"],
        "retry_counts_match": retried == retries,
        # A second delivery run as new would need a second row or follower; one the server
        # answered from the first would show in `retried`, which may fall short only when
        # the first delivery failed (then the retry is the one stored).
        "duplicates_processed": max(0, db["rows"] - len(unique))
        + max(0, db["followers"] - len(subscribes))
        + sum((retried - retries).values()),
        "followers": db["followers"],
        "subscribes_sent": len(subscribes),
        "wrong_replies": wrong,
        "success_expected": no_reply,
        "success_answered": wrk["success"],
        "every_request_answered": every_answered,
    }


def check_samples(samples: list, account: Account, prefix: str, baseline: bool) -> dict:
    """Decrypt the sampled answers as WeChat would, and check what they say."""
    sender = account.sender()
    allowed = {"收到"} if baseline else {r for _, r in TEXTS + CLICKS if r} | {WELCOME}
    good, problems = 0, []
    for status, body in samples:
        try:
            fields = sender.open_reply(body) if status == 200 else None
        except Exception as error:  # any failure to open one is the finding
            problems.append(f"{status}: {type(error).__name__}: {error}")
            continue
        if status != 200:
            problems.append(f"{status}: {body[:200]!r}")
        elif fields is None or (
            fields.get("MsgType") == "text"
            and fields.get("Content") in allowed
            and str(fields.get("ToUserName", "")).startswith(prefix)
            and fields.get("FromUserName") == ACCOUNT_ID
        ):
            good += 1
        else:
            problems.append(f"unexpected reply {fields}")
    return {"sampled": len(samples), "valid": good, "problems": problems[:5]}


# Profile


def profile_report(var_dir: Path, top: int = 25) -> list[str]:
    import io
    import pstats

    files = sorted(var_dir.glob("profile-*.prof"))
    if not files:
        return ["no profile was written"]
    stats = pstats.Stats(*map(str, files), stream=(out := io.StringIO()))
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue().splitlines()


# Report


def passed(result: dict) -> dict[str, bool]:
    mode = result["mode"]
    c = result["checks"]
    checks = {
        f"{mode}: >= {TARGETS[mode]:.0f} messages/s": result["rps"] >= TARGETS[mode],
        f"{mode}: p99 < {TARGET_P99_MS:.0f} ms": result["p99_ms"] < TARGET_P99_MS,
        f"{mode}: every request answered 200": c["every_request_answered"],
        f"{mode}: 0 duplicates processed": c["duplicates_processed"] == 0,
        f"{mode}: every retry answered from the first delivery": c["retry_counts_match"],
        f"{mode}: stored rows == unique messages": c["stored_equals_unique"],
        f"{mode}: every stored reply is its rule's": c["wrong_replies"] == 0,
        f"{mode}: 'success' exactly where no rule answers": c["success_answered"]
        == c["success_expected"],
        f"{mode}: answers well-formed, samples decrypt": result["bad_bodies"] == 0
        and result["replies"]["valid"] == result["replies"]["sampled"] > 0,
    }
    paced = result.get("paced")
    if paced:
        p = paced["checks"]
        at = f"{mode} at {paced['rate']:.0f}/s on a schedule"
        checks |= {
            f"{at}: kept up (>= {KEPT_UP:.0%} of it, none left unsent)": paced["rps"]
            >= KEPT_UP * paced["rate"]
            and not paced["exhausted"],
            f"{at}: p99 from schedule to answer < {TARGET_P99_MS:.0f} ms (bound)": paced[
                "p99_bound_ms"
            ]
            < TARGET_P99_MS,
            f"{at}: every message answered and stored once": p["every_request_answered"]
            and p["stored_equals_unique"]
            and p["duplicates_processed"] == 0
            and p["retry_counts_match"]
            and p["wrong_replies"] == 0,
        }
    return checks


def report(result: dict) -> bool:
    base = result["runs"].get("baseline")
    runs = [r for m, r in result["runs"].items() if m != "baseline"]
    print()
    head = (
        f"{'':22}{'msgs/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'errors':>8}{'retries':>9}"
        f"{'dup answ':>9}{'dup proc':>9}{'stored==uniq':>13}{'vs base':>9}"
    )
    print(head)
    for r in ([base] if base else []) + runs:
        errors = r["non200"] + r["socket_errors"] + r["unanswered"] + r["bad_bodies"]
        c = r.get("checks")
        label = {
            "baseline": "baseline (protocol)",
            "embedded": "embedded (SQLite)",
            "scaled": "scaled (PostgreSQL)",
        }
        ratio = f"{100 * r['rps'] / base['rps']:8.1f}%" if base else f"{'-':>9}"
        cols = (
            (f"{c['retries_sent']:>9}{c['retries_recognised']:>9}{c['duplicates_processed']:>9}"
             f"{('yes' if c['stored_equals_unique'] else 'NO') + ' ' + str(c['rows']):>13}")
            if c else f"{'-':>9}{'-':>9}{'-':>9}{'-':>13}"
        )  # fmt: skip
        print(
            f"{label[r['mode']]:22}{r['rps']:8.0f}{r['p50_ms']:8.2f}{r['p99_ms']:8.2f}"
            f"{errors:8d}{cols}{ratio}"
        )
    for r in runs:
        paced = r.get("paced")
        if paced:
            label = f"  {r['mode']} at {paced['rate']:.0f}/s"
            print(
                f"{label:22}{paced['rps']:8.0f}{paced['p50_ms']:8.2f}{paced['p99_ms']:8.2f}"
                f"   (on a schedule: sent up to {paced['late_max_ms']:.0f} ms late, p99.5 "
                f"{paced['late_p995_ms']:.0f} ms; p99 from schedule to answer "
                f"<= {paced['p99_bound_ms']:.2f} ms)"
            )
    print()
    busy = False
    for r in ([base] if base else []) + runs:
        cpu = r["cpu"]
        # Scaled mode's PostgreSQL and Redis are "other processes" doing the run's own work.
        busy |= r["mode"] != "scaled" and cpu["other_cores"] > BUSY_CORES
        print(
            f"  {r['mode']:9} CPU: server {cpu['server_cores']:.2f} cores "
            f"({cpu['server_us_per_request']:.0f} us/message), wrk {cpu['wrk_cores']:.2f}, "
            f"other processes {cpu['other_cores']:.2f}, idle {cpu['idle_cores']:.2f}; "
            f"answers: {r['encrypted']} encrypted, "
            f"{r['success']} success; {r['replies']['valid']}/{r['replies']['sampled']} "
            f"sampled decrypted and checked"
            + ("; ran out of sealed requests: rate is a lower bound" if r["exhausted"] else "")
        )
        for problem in r["replies"]["problems"] + r["server_errors"]:
            print(f"    {problem}")
    if busy:
        print("  WARNING: other processes were using the CPU; these numbers are not reliable")
    checks: dict[str, bool] = {}
    for r in runs:
        c = r["checks"]
        print(
            f"  {r['mode']:9} stored {c['rows']} rows for {c['unique_sent']} distinct messages; "
            f"{c['retries_recognised']} of {c['retries_sent']} retries answered from the first "
            f"delivery; {c['followers']} followers for {c['subscribes_sent']} subscribes; "
            f"{c['wrong_replies']} wrong replies; warm-up {r['warmup']['rps']:.0f} msgs/s, "
            f"its rows {'ok' if r['warmup']['checks']['stored_equals_unique'] else 'WRONG'}"
        )
        checks |= passed(r)
    result["checks"] = checks
    for r in runs:
        if "profile" in r:
            print(f"\nprofile of {r['mode']} (cProfile, all granian threads):")
            print("\n".join(r["profile"]))
    print()
    for name, ok in checks.items():
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    return all(checks.values())


# Main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["embedded", "scaled", "both"], default="both")
    parser.add_argument("--seconds", type=int, default=10, help="seconds of load per mode")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up load")
    parser.add_argument("--connections", type=int, default=64, help="concurrent senders")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="granian worker processes")
    parser.add_argument("--threads", type=int, default=4, help="granian blocking threads")
    parser.add_argument(
        "--granian",
        action="append",
        default=[],
        metavar="OPTION",
        help="one more granian option for every server, e.g. --granian=--runtime-threads=2",
    )
    parser.add_argument(
        "--interface",
        choices=["wsgi", "rsgi"],
        default="wsgi",
        help="weizhi under granian's WSGI (as deploy/ runs it) or RSGI (as manage.py serve)",
    )
    parser.add_argument(
        "--pg-database",
        default=PG_DATABASE,
        help="scaled mode's database, created and dropped here (two runs at once need two)",
    )
    parser.add_argument("--redis-url", default=REDIS_URL, help="scaled mode's Redis")
    parser.add_argument("--no-paced", action="store_true", help="skip the runs at the target rates")
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline run")
    parser.add_argument("--profile", action="store_true", help="serve weizhi under cProfile")
    parser.add_argument("--keep", action="store_true", help="keep the temp directory")
    return parser.parse_args()


def measure(args: argparse.Namespace, tmp: Path) -> dict:
    account = new_account(random.Random())
    modes = ["embedded", "scaled"] if args.mode == "both" else [args.mode]
    if not args.no_baseline:
        modes.insert(0, "baseline")
    runs = {mode: bench_mode(mode, tmp, account, args) for mode in modes}
    describe = ["git", "describe", "--always", "--dirty"]
    return {
        "timestamp": datetime.now().astimezone().isoformat(timespec="seconds"),
        "commit": run(describe, cwd=ROOT).strip(),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "args": {k: str(v) for k, v in vars(args).items()},
        "runs": runs,
    }


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    ensure_tools()
    tmp = Path(tempfile.mkdtemp(prefix="weizhi-bench-callback-"))
    try:
        result = measure(args, tmp)
        ok = report(result)
        OUT_DIR.mkdir(exist_ok=True)
        out = OUT_DIR / f"callback-{datetime.now():%Y%m%d-%H%M%S}.json"
        out.write_text(json.dumps(result, ensure_ascii=False, indent=2))
        print(f"\nresults: {out.relative_to(ROOT)}")
        return 0 if ok or args.profile else 1
    except BenchError as error:
        print(f"bench failed: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; stopping everything", file=sys.stderr)
        return 130
    finally:
        stop_all()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
