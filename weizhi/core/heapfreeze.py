"""The objects a web process builds while it starts are frozen out of the garbage collector.

A served process holds about 170,000 objects from its start (Django, Wagtail, our modules, the
URL patterns) that live as long as it does. CPython's full collection walks every one of them
each time, with the GIL held: under bench-callback's load that was a few times in 15 seconds,
up to 129 ms each, and every request in the process waited (scaled mode's p99 was 80–100 ms
against a p50 of 20 ms). ``gc.freeze()`` moves them to a generation the collector never walks;
what requests allocate is collected as before. The same run then gave full collections of at
most 1.6 ms and a p99 of 37 ms; paired runs, 87–89 → 34–35 ms.

The URL patterns and their reverse lookups are built first (Django builds them on the first
request otherwise), so that they are frozen with the rest.
"""

import gc

from django.urls import get_resolver


def freeze_startup_heap() -> int:
    """Builds the URL resolver, collects what is garbage already and freezes the rest; returns
    how many objects are now frozen."""
    # Imports the URL modules and builds the patterns and their reverse lookups (Django's
    # resolver fills these in on first use, for the language active then, the default here).
    get_resolver().reverse_dict  # noqa: B018
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
