"""Request context for log lines: every line carries the id of the request it belongs to."""

import contextlib
import contextvars
import json
import logging
from collections.abc import Iterator
from datetime import datetime

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


@contextlib.contextmanager
def logging_for(request_id: str) -> Iterator[None]:
    """Log lines (and tasks enqueued) meanwhile carry `request_id`: for work done on behalf of
    a request on another thread, such as a writer thread storing a batch of requests."""
    token = request_id_var.set(request_id)
    try:
        yield
    finally:
        request_id_var.reset(token)


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


# Loggers of the task queues (django-tasks, its database backend, RQ and django-rq), whose
# worker commands set them to INFO at start: one or more lines per job, every few seconds.
TASK_LOGGERS = ("django_tasks", "django.tasks", "django_tasks_db", "django_tasks_rq", "rq")
_TASK_PREFIXES = tuple(f"{name}." for name in TASK_LOGGERS)


class TaskLevelFilter(logging.Filter):
    """Drops task-queue records below TASKS_LOG_LEVEL, whatever level the worker gave the
    logger. On the handler, as a logger's own filter never sees its children's records."""

    def __init__(self, level: str) -> None:
        super().__init__()
        self.level = logging.getLevelNamesMapping()[level.upper()]

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= self.level:
            return True
        name = record.name
        return not (name in TASK_LOGGERS or name.startswith(_TASK_PREFIXES))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, rid, message, and an access line's
    fields (method, path, status, user, ms, cache) as keys of their own."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created)
            .astimezone()
            .isoformat("T", "milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "rid": getattr(record, "request_id", None) or request_id_var.get(),
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "access", None) or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
