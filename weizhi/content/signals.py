"""Keep the page cache in step with what is published."""

from django.db.models.signals import post_delete
from wagtail.signals import page_published, page_unpublished, post_page_move

from weizhi.content.pagecache import purge


def _purge(**_kwargs) -> None:
    purge()


page_published.connect(_purge, dispatch_uid="weizhi-purge-published")
page_unpublished.connect(_purge, dispatch_uid="weizhi-purge-unpublished")
post_page_move.connect(_purge, dispatch_uid="weizhi-purge-moved")
post_delete.connect(
    lambda sender, **kw: (
        purge() if getattr(sender, "_meta", None) and sender._meta.app_label == "content" else None
    ),
    dispatch_uid="weizhi-purge-deleted",
    weak=False,
)
