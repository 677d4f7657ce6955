from weizhi.core.taskqueue import task
from weizhi.news.services import refresh_feeds


@task
def fetch_feeds() -> int:
    """The periodic round over the registered feeds; returns the number of new items."""
    return refresh_feeds()
