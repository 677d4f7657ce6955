"""Seconds from `make run` on a fresh clone to the first answered request, for this branch and a
baseline commit, measured in the same run, alternating: `make bench-fresh-clone
BENCH_ARGS="--baseline REF"`. The machine's load is printed beside each figure: on a shared
machine it moves the numbers more than anything in the Makefile."""

import argparse
import os
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def answered(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5):
            return True
    except OSError:
        return False


def time_make_run(ref: str, port: int, timeout: float) -> float:
    with tempfile.TemporaryDirectory(prefix="weizhi-fresh-") as tmp:
        subprocess.run(["git", "clone", "-q", str(ROOT), tmp], check=True)
        subprocess.run(["git", "-C", tmp, "checkout", "-q", ref], check=True)
        started = time.monotonic()
        make = subprocess.Popen(
            ["make", "run", f"PORT={port}"],
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            while not answered(port):
                if time.monotonic() - started > timeout or make.poll() is not None:
                    raise SystemExit(f"{ref}: make run did not answer on :{port}")
                time.sleep(0.5)
            return time.monotonic() - started
        finally:
            os.killpg(make.pid, signal.SIGINT)
            make.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", required=True, help="commit to compare with")
    parser.add_argument("--ref", default="HEAD")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8290")))
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    results: dict[str, list[float]] = {args.baseline: [], args.ref: []}
    for _ in range(args.rounds):
        for ref in results:
            seconds = time_make_run(ref, args.port, args.timeout)
            results[ref].append(seconds)
            print(f"{ref}: {seconds:.0f} s (load {os.getloadavg()[0]:.1f})", flush=True)
    base = sum(results[args.baseline]) / args.rounds
    ours = sum(results[args.ref]) / args.rounds
    print(f"ratio {args.ref} / {args.baseline}: {ours / base:.2f}")


if __name__ == "__main__":
    main()
