"""The read-aloud's periodic job."""

from weizhi.core.taskqueue import task

from . import services


@task()
def prune_recordings() -> int:
    return services.prune()
