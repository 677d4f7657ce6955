"""Answering a request once its write is committed, without a web thread waiting for the commit.

Under `manage.py serve` (granian's RSGI interface, ``core/bodyfirst.py``) a view may hand its
write to a background writer and return its response at once: the event loop sends that
response only when the write is committed, and answers 500 instead if it failed. The web
thread meanwhile goes on to the next request, so a burst of writes (hand-ins at the end of a
meeting) is written in batches as large as the requests in flight rather than as the threads.

Elsewhere (granian's WSGI interface, the test client) there is nobody to wait on the thread's
behalf: `later()` gives None and the view writes before it answers, as always.
"""

import concurrent.futures
from collections.abc import Callable

# The WSGI environ's key under which bodyfirst puts the list of writes its answer waits for.
ENVIRON_KEY = "weizhi.answer_after"

Done = Callable[[BaseException | None], None]


def later(meta: dict) -> Callable[[], Done] | None:
    """For a request whose answer can wait on the event loop: a function that registers one
    write and gives the `done(error)` to call once it is committed (error None) or failed.
    None when the request cannot be answered later."""
    waits = meta.get(ENVIRON_KEY)
    if waits is None:
        return None

    def register() -> Done:
        future: concurrent.futures.Future = concurrent.futures.Future()
        waits.append(future)

        def done(error: BaseException | None) -> None:
            if not future.set_running_or_notify_cancel():
                return  # nobody waits any more (the request's coroutine was cancelled)
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)

        return done

    return register


def waiting(meta: dict) -> list[concurrent.futures.Future]:
    """The writes this request's answer waits for (none for most requests)."""
    return meta.get(ENVIRON_KEY) or []
