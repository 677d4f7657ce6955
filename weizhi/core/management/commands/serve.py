"""Run the whole product: web server, task worker and scheduler, stopped together."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from weizhi.env import envint


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
        commands = {
            "web": [
                python,
                "-m",
                "granian",
                "--interface",
                "wsgi",
                "--host",
                opts["host"],
                "--port",
                str(opts["port"]),
                "--workers",
                str(opts["workers"]),
                "--blocking-threads",
                str(opts["threads"]),
                "--no-access-log",
                "weizhi.wsgi:application",
            ],
        }
        if not opts["no_worker"]:
            if settings.TASKS_BACKEND_NAME == "rq":
                worker = ["rqworker", "--job-class", "django_tasks_rq.Job", "default"]
            else:
                worker = ["db_worker", "--queue-name", "*", "--no-reload"]
            commands["worker"] = [python, manage, *worker]
        if not opts["no_scheduler"]:
            commands["scheduler"] = [python, manage, "scheduler"]

        children: dict[str, subprocess.Popen] = {}
        stopping = False

        def stop(*_args) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            for name, command in commands.items():
                # Each child gets its own process group, so the terminal's Ctrl-C reaches
                # only us and we stop them in order.
                children[name] = subprocess.Popen(  # noqa: S603 - our own fixed commands
                    command, cwd=settings.BASE_DIR, start_new_session=True
                )
            self.stdout.write(
                f"微智已启动：http://{opts['host']}:{opts['port']}/（按 Ctrl-C 停止）"
            )
            failed = ""
            while not stopping:
                for name, child in children.items():
                    if child.poll() is not None:
                        failed = f"{name} exited with {child.returncode}"
                        stopping = True
                time.sleep(0.3)
        finally:
            self._stop_all(children)
        if failed:
            raise CommandError(failed)

    def _stop_all(self, children: dict[str, subprocess.Popen]) -> None:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 20
        for name, child in children.items():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"{name} did not stop in time; killing it")
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        self.stdout.write("微智已停止。")
