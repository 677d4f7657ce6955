"""The error both task queues record for a task whose worker died (below taskqueue and
rqsupport, which both raise it)."""


class WorkerLost(Exception):
    """The worker running the task died (killed, out of memory) before the task finished."""
