"""Group commit: the writes that arrive while one is being committed go in the next
transaction together, instead of queueing for a transaction each.

A thread hands in its item and waits for the writer's lock. Whoever gets the lock takes
every item handed in so far and writes them in one call; a thread whose item was written by
an earlier holder finds it done and returns at once. Each caller still returns only after
its own item is committed (or raises what the write raised), so "stored before answered"
holds for every caller. The batch is as large as the number of threads that were waiting,
which grows with the load: no timers, no extra thread.
"""

import copy
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)


@dataclass
class _Slot(Generic[T]):
    item: T
    done: bool = False
    error: BaseException | None = None


class GroupCommit(Generic[T]):
    def __init__(self, write: Callable[[list[T]], None]) -> None:
        self._write = write
        self._queue: list[_Slot[T]] = []
        self._queue_lock = threading.Lock()
        self._writer_lock = threading.Lock()

    def submit(self, item: T) -> None:
        slot = _Slot(item)
        with self._queue_lock:
            self._queue.append(slot)
        with self._writer_lock:
            if not slot.done:
                # Still queued (only a writer removes slots, and marks them done before it
                # lets go of the lock), so this batch includes it.
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                try:
                    self._write([s.item for s in batch])
                except BaseException as exc:
                    for s in batch:  # every caller fails, whatever the copies below do
                        s.error = exc
                    for s in batch:
                        if s is not slot:
                            s.error = _own_copy(exc)
                    raise
                finally:
                    for s in batch:
                        s.done = True
        if slot.error is not None:
            raise slot.error


def _own_copy(error: BaseException) -> BaseException:
    """The batch's error for another of its callers: the same type and arguments, caused by
    the writer's. Raised as one object in several threads, each raise would add its frames to
    the one traceback, and the logs would show frames of requests that were not theirs."""
    try:
        mine = copy.copy(error)
        if type(mine) is not type(error) or mine.args != error.args:
            return error  # a type that does not rebuild itself from its arguments
        mine.__traceback__ = None
        mine.__cause__ = error
        if hasattr(error, "__notes__"):
            mine.__notes__ = list(error.__notes__)
    except Exception:  # one that cannot be rebuilt at all
        return error
    return mine


class BackgroundCommit(Generic[T]):
    """Group commit for callers that must not wait on a thread: an event loop's coroutines.

    `submit(item, done)` returns at once; one writer thread of this process takes every item
    handed in so far (up to `max_batch`, which the write must be able to store at once),
    writes them in one call, and then calls each item's `done` with None,
    or with what the write raised. `done` runs on the writer thread, after the commit, so a
    caller that answers from it still answers only what is stored. While the writer writes,
    the threads that handed items in go on to other requests, so a batch grows to every
    request in flight in the process rather than to the number of threads.

    The writer thread is started by the first submit (after granian has forked its workers)
    and lives as long as the process; it never dies of a failed write, and every `done` is
    called whatever the write or another `done` raised.
    """

    def __init__(self, write: Callable[[list[T]], None], *, name: str, max_batch: int) -> None:
        self._write = write
        self._name = name
        self._max_batch = max_batch
        self._pending: list[tuple[T, Callable[[BaseException | None], None]]] = []
        self._wake = threading.Condition(threading.Lock())
        self._writer: threading.Thread | None = None

    def submit(self, item: T, done: Callable[[BaseException | None], None]) -> None:
        with self._wake:
            self._pending.append((item, done))
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(target=self._drain, name=self._name, daemon=True)
                self._writer.start()
            self._wake.notify()

    def _drain(self) -> None:
        while True:
            with self._wake:
                while not self._pending:
                    self._wake.wait()
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
            error: BaseException | None = None
            try:
                self._write([item for item, _ in batch])
            except BaseException as exc:  # handed to every caller of the batch
                error = exc
            for _, done in batch:
                try:
                    done(error)
                except BaseException:
                    log.exception("%s: a caller's completion failed", self._name)
