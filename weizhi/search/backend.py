"""Chinese-capable search: the stock database backends, fed with segmented text.

settings.WAGTAILSEARCH_BACKENDS points here. Like the stock database backend, this picks
the flavour for the default database's vendor. After switching to it, or changing
segment.py, rebuild the index with `manage.py update_index`.
"""

from django.db import connection


def SearchBackend(params):
    if connection.vendor == "postgresql":
        from weizhi.search.postgres import SegmentingPostgresSearchBackend

        return SegmentingPostgresSearchBackend(params)
    if connection.vendor == "sqlite":
        from weizhi.search.sqlite import SegmentingSQLiteSearchBackend

        return SegmentingSQLiteSearchBackend(params)
    # Substring matching needs no segmentation; it just does not rank.
    from modelsearch.backends.database.fallback import DatabaseSearchBackend

    return DatabaseSearchBackend(params)
