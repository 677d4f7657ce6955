"""Calls handed to an event loop from other threads, with one wake-up per burst.

`loop.call_soon_threadsafe` writes a byte to the loop's self-pipe on every call: a system
call, which gives up the GIL and then waits to take it back from the process's other
threads. The web threads hand every result back to the loop this way and the callback's
writer thread settles every message of a batch this way, so under load each hand-off
cost a wait for the GIL (py-spy: 13 % of a worker's samples were in `_write_to_self`).
Here calls queue up in the loop's mailbox and only the first of a burst wakes the loop,
which then runs all that have arrived, in order.
"""

import asyncio
import concurrent.futures
import threading
import weakref
from collections.abc import Callable
from typing import Any


class Mailbox:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        # Weakly: the mailboxes are kept by loop in a WeakKeyDictionary, and a strong
        # reference from the value would keep its key alive.
        self._loop = weakref.ref(loop)
        self._lock = threading.Lock()
        self._calls: list[tuple[Callable, tuple]] = []

    def post(self, call: Callable, *args: Any) -> None:
        """Run `call(*args)` on the loop soon; safe from any thread."""
        with self._lock:
            self._calls.append((call, args))
            first = len(self._calls) == 1
        loop = self._loop()
        if not first or loop is None:
            return
        try:
            loop.call_soon_threadsafe(self._deliver)
        except RuntimeError:  # the loop is closed: nothing posted to it can run any more
            with self._lock:
                self._calls.clear()

    def _deliver(self) -> None:
        with self._lock:
            calls, self._calls = self._calls, []
        for call, args in calls:
            try:
                call(*args)
            except (SystemExit, KeyboardInterrupt):  # the process is stopping
                raise
            except BaseException as error:  # as the loop does for a callback of its own
                self._loop().call_exception_handler(
                    {"message": f"Exception in callback {call!r}", "exception": error}
                )


_boxes: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Mailbox]" = (
    weakref.WeakKeyDictionary()
)
_boxes_lock = threading.Lock()


def post(loop: asyncio.AbstractEventLoop, call: Callable, *args: Any) -> None:
    """`loop.call_soon_threadsafe(call, *args)`, woken once for every call posted until the
    loop runs them. The calls run in the order they were posted; one that raises is
    reported to the loop's exception handler and the rest still run."""
    box = _boxes.get(loop)
    if box is None:
        with _boxes_lock:
            box = _boxes.setdefault(loop, Mailbox(loop))
    box.post(call, *args)


def wrap_future(
    future: concurrent.futures.Future, loop: asyncio.AbstractEventLoop
) -> asyncio.Future:
    """`asyncio.wrap_future(future)`, its outcome handed to the loop through its mailbox;
    unlike it, cancelling the waiter leaves `future` alone (a write goes on, as under shield)."""
    waiter = loop.create_future()
    future.add_done_callback(lambda done: post(loop, _copy, done, waiter))
    return waiter


def _copy(source: concurrent.futures.Future, waiter: asyncio.Future) -> None:
    if waiter.cancelled():
        return
    if source.cancelled():
        waiter.cancel()
    elif (error := source.exception()) is not None:
        waiter.set_exception(error)
    else:
        waiter.set_result(source.result())
