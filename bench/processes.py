"""Starting, watching and stopping the benchmark's processes, through /proc."""

import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

_children: list[subprocess.Popen] = []


class BenchError(Exception):
    pass


def spawn(cmd: list[str], log: Path | None = None, **kwargs) -> subprocess.Popen:
    """Start a child in its own session, so a Ctrl-C reaches only us and we stop it in order."""
    out = log.open("ab") if log else subprocess.PIPE
    try:
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **kwargs
        )
    finally:
        if log:
            out.close()
    _children.append(proc)
    return proc


def process_tree(pid: int) -> list[tuple[int, str]]:
    """pid and its descendants, each with its start time so a reused pid is never mistaken."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        try:
            start = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()[19]
            children = [
                int(child)
                for task in Path(f"/proc/{current}/task").iterdir()
                for child in (task / "children").read_text().split()
            ]
        except (FileNotFoundError, ProcessLookupError):
            continue
        found.append((current, start))
        queue.extend(children)
    return found


def still_alive(tree: list[tuple[int, str]]) -> list[int]:
    alive = []
    for pid, start in tree:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        if stat[19] == start and stat[0] != "Z":
            alive.append(pid)
    return alive


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30) -> float:
    """Signal a child and wait for it and its descendants; kill what is left. Returns seconds."""
    started = time.monotonic()
    if proc.poll() is not None:
        return 0.0
    tree = process_tree(proc.pid)
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        print(f"  pid {proc.pid} ignored {signal.Signals(sig).name} for {timeout:.0f} s; killing")
    for pid in still_alive(tree):
        os.kill(pid, signal.SIGKILL)
    proc.wait(5)
    return time.monotonic() - started


def stop_all() -> None:
    for proc in reversed(_children):
        if proc.poll() is None:
            stop(proc, signal.SIGTERM, 10)


def run(cmd: list[str], timeout: float = 300, **kwargs) -> str:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)
    if result.returncode:
        raise BenchError(f"{' '.join(cmd)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def ensure_tools() -> None:
    """wrk and nginx come from Debian; install them when missing."""
    os.environ["PATH"] += os.pathsep + "/usr/sbin"
    tools = {"wrk": "wrk", "nginx": "nginx-light"}
    missing = [package for tool, package in tools.items() if not shutil.which(tool)]
    if not missing:
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [*sudo, "apt-get", "install", "-y", "-q", *missing]
    print(f"installing {' '.join(missing)} with apt-get")
    if subprocess.run(install, env=env, timeout=900).returncode:
        subprocess.run([*sudo, "apt-get", "update", "-q"], env=env, timeout=900, check=True)
        subprocess.run(install, env=env, timeout=900, check=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def fetch(url: str, timeout: float = 10) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_ready(proc: subprocess.Popen, url: str, log: Path, timeout: float = 90) -> int:
    """Wait for any HTTP answer from url and return its status.

    /healthz answers 503 once queued tasks wait over five minutes, and the benchmark runs
    no task worker: the server is up all the same.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"{url} server exited with {proc.returncode}:\n{tail(log)}")
        try:
            return fetch(url, timeout=2)[0]
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError(f"{url} not ready after {timeout:.0f} s:\n{tail(log)}")


def tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


class MemorySampler(threading.Thread):
    """Peak RSS (and PSS) summed over a process and its descendants, from /proc."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_rss_kb = 0
        self.peak_pss_kb = 0
        self.processes = 0
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.is_set():
            self.sample()
            self._stopping.wait(self.interval)

    def sample(self) -> None:
        pids = [pid for pid, _ in process_tree(self.pid)]
        rss = sum(_proc_kb(f"/proc/{pid}/status", "VmRSS:") for pid in pids)
        pss = sum(_proc_kb(f"/proc/{pid}/smaps_rollup", "Pss:") for pid in pids)
        self.peak_rss_kb = max(self.peak_rss_kb, rss)
        self.peak_pss_kb = max(self.peak_pss_kb, pss)
        self.processes = max(self.processes, len(pids))

    def finish(self) -> None:
        self._stopping.set()
        self.join()


def _proc_kb(path: str, field: str) -> int:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def cpu_snapshot(server_pid: int | None) -> tuple[float, float, float, float, float]:
    """Seconds of CPU so far: the machine's busy time, the server tree's, reaped children's,
    and the machine's idle time."""
    user, nice, system, idle, iowait, _irq, _softirq, steal = (
        int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    # Process time plus what the hypervisor took; interrupt time (loopback traffic) is left out.
    busy = (user + nice + system + steal) / CLOCK_TICKS
    server = 0
    for pid, _ in process_tree(server_pid) if server_pid else []:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            server += int(stat[11]) + int(stat[12])
        except FileNotFoundError:
            pass
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    spare = (idle + iowait) / CLOCK_TICKS
    return (
        time.monotonic(),
        busy,
        server / CLOCK_TICKS,
        children.ru_utime + children.ru_stime,
        spare,
    )


def cpu_use(before: tuple, after: tuple, requests: int) -> dict:
    """Cores used by the server, by wrk (the only child reaped meanwhile) and by the rest, and
    the cores left idle (interrupt time, such as loopback traffic, is in none of them)."""
    elapsed, busy, server, load, spare = (b - a for a, b in zip(before, after, strict=True))
    return {
        "idle_cores": spare / elapsed,
        "server_cores": server / elapsed,
        "wrk_cores": load / elapsed,
        "other_cores": max(0.0, busy - server - load) / elapsed,
        "server_us_per_request": 1e6 * server / requests if requests else 0.0,
    }


def wrk_report(cmd: list[str], duration: float, server_pid: int | None) -> tuple[dict, dict, str]:
    """Run wrk with a Lua script that prints one "BENCH_JSON {…}" line: that JSON, the CPU
    the server, wrk and the rest used meanwhile (cpu_use of its requests), and wrk's own text."""
    before = cpu_snapshot(server_pid)
    proc = spawn(cmd)
    try:
        output = proc.communicate(timeout=duration + 60)[0].decode()
    except subprocess.TimeoutExpired:
        stop(proc, signal.SIGKILL)
        raise BenchError(f"wrk did not finish within {duration + 60} s") from None
    after = cpu_snapshot(server_pid)
    line = next((x for x in output.splitlines() if x.startswith("BENCH_JSON ")), None)
    if proc.returncode or line is None:
        raise BenchError(f"wrk failed ({proc.returncode}):\n{output}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    return raw, cpu_use(before, after, raw["requests"]), output.split("BENCH_JSON")[0].strip()
