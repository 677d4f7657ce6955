import logging
import signal
import threading

from django.core.management.base import BaseCommand

from weizhi.core.schedule import default_jobs, stop_hooks, tick

log = logging.getLogger("weizhi.scheduler")


class Command(BaseCommand):
    help = "Enqueue periodic jobs (scheduled publishing, counter flushes, clean-ups) on time."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="Run one tick and exit.")

    def handle(self, *args, once: bool = False, **options) -> None:
        jobs = default_jobs()
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        log.info("scheduler started with %d jobs", len(jobs))
        while True:
            tick(jobs)
            if once or stop.wait(1.0):
                break
        for hook in stop_hooks():
            hook()
        log.info("scheduler stopped")
