"""Group commit: the writes that arrive while one is being committed go in the next
transaction together, instead of queueing for a transaction each.

A thread hands in its item and waits for the writer's lock. Whoever gets the lock takes
every item handed in so far and writes them in one call; a thread whose item was written by
an earlier holder finds it done and returns at once. Each caller still returns only after
its own item is committed (or raises what the write raised), so "stored before answered"
holds for every caller. The batch is as large as the number of threads that were waiting,
which grows with the load: no timers, no extra thread.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


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
                    for s in batch:
                        s.error = exc
                finally:
                    for s in batch:
                        s.done = True
        if slot.error is not None:
            raise slot.error
