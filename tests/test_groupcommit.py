"""Group commit, with a real write function and real threads."""

import threading
import time

import pytest

from weizhi.core.groupcommit import GroupCommit


def test_every_item_is_written_once_and_its_caller_returns_after_it():
    written: list[int] = []
    batches: list[int] = []

    def write(batch: list[int]) -> None:
        time.sleep(0.01)  # a commit takes a while; others queue meanwhile
        batches.append(len(batch))
        written.extend(batch)

    group = GroupCommit(write)
    returned: list[int] = []

    def caller(n: int) -> None:
        group.submit(n)
        assert n in written  # never answered before stored
        returned.append(n)

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(written) == list(range(40))
    assert sorted(returned) == list(range(40))
    assert len(batches) < 40  # some commits carried several items


def test_a_failed_write_fails_every_caller_in_its_batch_and_not_the_next():
    fail = threading.Event()
    fail.set()

    def write(batch: list[str]) -> None:
        if fail.is_set():
            raise RuntimeError("disk full")

    group = GroupCommit(write)
    with pytest.raises(RuntimeError, match="disk full"):
        group.submit("a")
    fail.clear()
    group.submit("b")  # the next batch is written normally
