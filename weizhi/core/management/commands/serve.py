"""Run the whole product: web server, task worker and scheduler, stopped together.

Each child that dies unexpectedly (the OOM killer, a crash) is logged and started again after a
back-off, so one failure never takes the others down. Granian itself respawns a web worker that
dies; should granian exit (it does when a worker dies again within seconds), it is restarted
like the others.
"""

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.management.base import BaseCommand

from weizhi.env import envint

log = logging.getLogger("weizhi.serve")

# Back-off before restarting a child: doubles per quick failure, up to the maximum; a child
# that ran this long without failing starts from the first step again.
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 30.0
STABLE_SECONDS = 60.0


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

    def handle(self, *args, **opts) -> None:
        python = sys.executable
        manage = str(settings.BASE_DIR / "manage.py")
        env = dict(os.environ)
        # Granian faces the network here: its RSGI interface lets weizhi.rsgi read each
        # request body before a thread takes the request (see weizhi/core/bodyfirst.py).
        web = [
            python, "-m", "granian",
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
            self.stdout.write(
                f"微智已启动：http://{opts['host']}:{opts['port']}/（按 Ctrl-C 停止）"
            )
            while not stopping:
                now = time.monotonic()
                for child in children:
                    self._supervise(child, now)
                time.sleep(0.3)
        finally:
            self._stop_all(children)

    def _start(self, child: Child) -> None:
        # Each child gets its own process group, so the terminal's Ctrl-C reaches only us
        # and we stop them in order.
        child.process = subprocess.Popen(  # noqa: S603 - our own fixed commands
            child.command, cwd=settings.BASE_DIR, env=child.env, start_new_session=True
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
