"""django-tasks-db's db_worker, with a heartbeat: a thread writes this worker's TaskWorker row
every TASK_HEARTBEAT_SECONDS, so that the tasks of a worker that died are handed on within a
minute (taskqueue.requeue_abandoned_db). Same name and options, so every way of starting a
worker (serve, systemd units) gets it."""

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connection
from django_tasks_db.management.commands import db_worker

from weizhi.core.models import TaskWorker
from weizhi.core.taskqueue import beat

log = logging.getLogger("weizhi.tasks")


class Command(db_worker.Command):
    def handle(self, *args, **options) -> None:
        worker_id = options["worker_id"]
        beat(worker_id)  # before the first claim, so no task is ever seen without a worker
        stop = threading.Event()
        thread = threading.Thread(target=_heartbeat, args=(worker_id, stop), daemon=True)
        thread.start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
            thread.join(timeout=5)
            TaskWorker.objects.filter(worker_id=worker_id).delete()


def _heartbeat(worker_id: str, stop: threading.Event) -> None:
    try:
        while not stop.wait(settings.TASK_HEARTBEAT_SECONDS):
            try:
                close_old_connections()
                beat(worker_id)
            except Exception:
                log.exception("task worker %s: heartbeat failed", worker_id)
    finally:
        connection.close()
