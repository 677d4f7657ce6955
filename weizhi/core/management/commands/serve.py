"""Run the whole product: web server, task worker and scheduler, stopped together.

Each child that dies unexpectedly (the OOM killer, a crash) is logged and started again after a
back-off, so one failure never takes the others down. Granian itself respawns a web worker that
dies; should granian exit (it does when a worker dies again within seconds), it is restarted
like the others.

The children die with serve: each asks the kernel for SIGTERM when serve dies (a parent-death
signal), so a `kill -9` of serve, or of `make run`, leaves nothing holding the port or working
the queue. A second serve on the same var dir or port refuses to start.
"""

import contextlib
import errno
import fcntl
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from weizhi.core.banner import answers, banner
from weizhi.core.lifeline import die_with_parent
from weizhi.env import envint

log = logging.getLogger("weizhi.serve")

# Back-off before restarting a child: doubles per quick failure, up to the maximum; a child
# that ran this long without failing starts from the first step again.
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 30.0
STABLE_SECONDS = 60.0
LOCK_NAME = "serve.lock"


def hold_var_dir(var_dir: Path) -> IO[str]:
    """Takes serve's lock on the var dir for the life of the returned file, or refuses."""
    lock = (var_dir / LOCK_NAME).open("a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        holder = lock.read().strip() or "?"
        lock.close()
        raise CommandError(
            f"另一个 serve（进程 {holder}）正在使用数据目录 {var_dir}。"
            f"请先停止它（在它的终端按 Ctrl-C，或 kill {holder}），再启动。"
        ) from None
    lock.seek(0)
    lock.truncate()
    lock.write(f"{os.getpid()}\n")
    lock.flush()
    return lock


def refuse_a_taken_port(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As a server binds: a connection of an earlier run waiting in TIME_WAIT is no owner.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            raise CommandError(
                f"端口 {port} 已被占用（也许另一个 serve 还在运行）。"
                f"请先停止占用它的程序，或用 --port 换一个端口。"
            ) from None


@dataclass
class Child:
    name: str
    command: list[str]
    env: dict[str, str]
    process: subprocess.Popen | None = None
    started: float = 0.0
    restart_at: float = 0.0
    backoff: float = FIRST_BACKOFF


class Command(BaseCommand):
    help = "Serve weizhi with granian, a task worker and the scheduler; Ctrl-C stops all three."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=envint("PORT", 8000, minimum=1))
        parser.add_argument("--workers", type=int, default=envint("WEB_WORKERS", 2, minimum=1))
        parser.add_argument("--threads", type=int, default=envint("WEB_THREADS", 4, minimum=1))
        parser.add_argument("--no-worker", action="store_true", help="Do not start a task worker.")
        parser.add_argument(
            "--no-scheduler", action="store_true", help="Do not start the scheduler."
        )
        parser.add_argument(
            "--stop-with-parent",
            action="store_true",
            help="Stop, as on Ctrl-C, when the process that started serve dies (make run).",
        )

    def handle(self, *args, **opts) -> None:
        if opts["stop_with_parent"]:
            die_with_parent(signal.SIGTERM, parent=os.getppid())()
        lock = hold_var_dir(Path(settings.VAR_DIR))
        refuse_a_taken_port(opts["host"], opts["port"])
        self.lock_fd = lock.fileno()
        python = sys.executable
        manage = str(settings.BASE_DIR / "manage.py")
        env = dict(os.environ)
        # Granian faces the network here: its RSGI interface lets weizhi.rsgi read each
        # request body before a thread takes the request (see weizhi/core/bodyfirst.py).
        web = [
            python, "-m", "weizhi.core.granian_main",
            "--interface", "rsgi",
            "--host", opts["host"],
            "--port", str(opts["port"]),
            "--workers", str(opts["workers"]),
            "--respawn-failed-workers",
            "--no-access-log",
            "weizhi.rsgi:application",
        ]  # fmt: skip
        children = [Child("web", web, {**env, "WEB_THREADS": str(opts["threads"])})]
        if not opts["no_worker"]:
            if settings.TASKS_BACKEND_NAME == "rq":
                worker = ["rqworker", "--job-class", "django_tasks_rq.Job", "default"]
            else:
                worker = ["db_worker", "--queue-name", "*", "--no-reload"]
            children.append(Child("worker", [python, manage, *worker], env))
        if not opts["no_scheduler"]:
            children.append(Child("scheduler", [python, manage, "scheduler"], env))

        stopping = False

        def stop(*_args) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            for child in children:
                self._start(child)
            # The banner comes last, once the site answers, so it is what the terminal shows.
            banner_due = True
            while not stopping:
                now = time.monotonic()
                for child in children:
                    self._supervise(child, now)
                if banner_due and answers(opts["host"], opts["port"]):
                    self.stdout.write(banner(opts["host"], opts["port"]))
                    self.stdout.flush()
                    banner_due = False
                time.sleep(0.3)
        finally:
            self._stop_all(children)
            lock.close()

    def _start(self, child: Child) -> None:
        # Each child gets its own process group, so the terminal's Ctrl-C reaches only us
        # and we stop them in order; and SIGTERM when we die, however we die. Each holds
        # the var dir's lock too, so no second serve starts while one of them lives on.
        child.process = subprocess.Popen(  # noqa: S603 - our own fixed commands
            child.command,
            cwd=settings.BASE_DIR,
            env=child.env,
            start_new_session=True,
            preexec_fn=die_with_parent(signal.SIGTERM),  # serve runs no threads to fork under
            pass_fds=(self.lock_fd,),
        )
        child.started = time.monotonic()

    def _supervise(self, child: Child, now: float) -> None:
        if child.process is None:
            if now >= child.restart_at:
                log.warning("serve: restarting %s", child.name)
                self._start(child)
            return
        code = child.process.poll()
        if code is None:
            return
        if now - child.started >= STABLE_SECONDS:
            child.backoff = FIRST_BACKOFF
        how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
        log.error(
            "serve: %s (pid %d) exited unexpectedly (%s) after %.0f s; restarting in %.0f s",
            child.name,
            child.process.pid,
            how,
            now - child.started,
            child.backoff,
        )
        # Whatever the child left behind in its process group goes with it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.process.pid, signal.SIGKILL)
        child.process = None
        child.restart_at = now + child.backoff
        child.backoff = min(child.backoff * 2, MAX_BACKOFF)

    def _stop_all(self, children: list[Child]) -> None:
        running = [c for c in children if c.process is not None and c.process.poll() is None]
        for child in running:
            child.process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 20
        for child in running:
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"{child.name} did not stop in time; killing it")
                os.killpg(child.process.pid, signal.SIGKILL)
                child.process.wait()
        self.stdout.write("微智已停止。")
