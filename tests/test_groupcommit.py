"""Group commit, with a real write function and real threads."""

import threading
import time

import pytest

from weizhi.core.groupcommit import BackgroundCommit, GroupCommit


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


def test_each_caller_of_a_failed_batch_raises_its_own_error_caused_by_the_writers():
    first_started, release = threading.Event(), threading.Event()
    writes: list[list[str]] = []

    def write(batch: list[str]) -> None:
        writes.append(list(batch))
        if batch == ["first"]:
            first_started.set()
            assert release.wait(5)
            return
        raise RuntimeError("disk full")

    group = GroupCommit(write)
    raised: dict[str, BaseException] = {}

    def hand_in(name: str) -> None:
        try:
            group.submit(name)
        except RuntimeError as exc:
            raised[name] = exc

    first = threading.Thread(target=hand_in, args=("first",))
    first.start()
    assert first_started.wait(5)
    others = [threading.Thread(target=hand_in, args=(n,)) for n in ("b", "c", "d")]
    for t in others:
        t.start()
    deadline = time.monotonic() + 5
    while len(group._queue) < 3 and time.monotonic() < deadline:  # all three wait behind it
        time.sleep(0.001)
    assert len(group._queue) == 3
    release.set()
    for t in [first, *others]:
        t.join(5)
    assert sorted(writes[1]) == ["b", "c", "d"] and "first" not in raised
    errors = [raised[n] for n in ("b", "c", "d")]
    assert len({id(e) for e in errors}) == 3  # one object each, so one traceback each
    writer = next(e for e in errors if e.__cause__ is None)
    copies = [e for e in errors if e is not writer]
    assert all(e.__cause__ is writer and e.args == ("disk full",) for e in copies)


def test_in_the_background_items_handed_in_during_a_write_go_in_the_next_batch_together():
    """Callers hand in and return at once; each learns of its own item only once written."""
    first_started, release = threading.Event(), threading.Event()
    batches: list[list[int]] = []

    def write(batch: list[int]) -> None:
        if not batches:
            first_started.set()
            assert release.wait(5)
        batches.append(list(batch))

    group = BackgroundCommit(write, name="test-writer", max_batch=10)
    settled: dict[int, tuple[BaseException | None, int]] = {}
    all_settled = threading.Event()

    def done_for(n: int):
        def done(error: BaseException | None) -> None:
            settled[n] = (error, sum(len(b) for b in batches))  # written so far
            if len(settled) == 6:
                all_settled.set()

        return done

    group.submit(0, done_for(0))
    assert first_started.wait(5)
    for n in range(1, 6):  # handed in while the first write is under way
        group.submit(n, done_for(n))
    assert not settled  # none answered before its write
    release.set()
    assert all_settled.wait(5)
    assert batches == [[0], [1, 2, 3, 4, 5]]
    assert all(error is None for error, _ in settled.values())
    assert all(written >= 1 for _, written in settled.values())
    assert settled[3][1] == 6  # item 3 was told after its own batch was written


def test_in_the_background_a_failed_write_is_told_to_its_batch_and_the_writer_goes_on():
    failing = threading.Event()
    failing.set()
    results: list[tuple[str, BaseException | None]] = []
    told = threading.Semaphore(0)

    writers: set[int] = set()

    def write(batch: list[str]) -> None:
        writers.add(threading.get_ident())
        if failing.is_set():
            raise Stop("database gone")  # not even an Exception: still told, still alive

    def done_for(name: str):
        def done(error: BaseException | None) -> None:
            results.append((name, error))
            told.release()

        return done

    group = BackgroundCommit(write, name="test-writer", max_batch=10)
    group.submit("a", done_for("a"))
    assert told.acquire(timeout=5)
    failing.clear()
    group.submit("b", done_for("b"))
    assert told.acquire(timeout=5)
    assert results[0][0] == "a" and isinstance(results[0][1], Stop)
    assert results[1] == ("b", None)
    assert len(writers) == 1  # the same writer thread wrote the next batch


class Stop(BaseException):
    pass


def test_in_the_background_a_batch_holds_at_most_max_batch_items_and_all_are_told():
    started, release = threading.Event(), threading.Event()
    batches: list[int] = []
    told = threading.Semaphore(0)

    def write(batch: list[int]) -> None:
        if not batches:
            started.set()
            assert release.wait(5)
        batches.append(len(batch))

    def done(error: BaseException | None) -> None:
        assert error is None
        told.release()

    group = BackgroundCommit(write, name="test-writer", max_batch=10)
    group.submit(0, done)
    assert started.wait(5)
    for n in range(1, 26):  # queued while the first write waits
        group.submit(n, done)
    release.set()
    for _ in range(26):
        assert told.acquire(timeout=5)
    assert batches == [1, 10, 10, 5]
