"""Calls handed to an event loop from other threads: all of them run on the loop, in the
order they were posted, and a burst of them wakes the loop once, not once a call."""

import asyncio
import functools
import threading
from concurrent.futures import ThreadPoolExecutor

from weizhi.core import loopmail


def on_a_thread_of_its_own(test):
    """The browser tests' Playwright leaves an event loop running on the main thread, where
    another loop refuses to run: each test here runs its loops on a thread of its own."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(test, *args, **kwargs).result()

    return run


class CountingLoop(asyncio.SelectorEventLoop):
    """A real event loop that counts the bytes written to its self-pipe (its wake-ups)."""

    wakes = 0

    def _write_to_self(self) -> None:
        self.wakes += 1
        super()._write_to_self()


def run_with_poster(post_all) -> tuple[CountingLoop, list]:
    """Runs a loop, blocked in a callback while another thread calls `post_all(loop, ran)`,
    then lets the loop run what was posted; the loop and the list `ran`."""
    loop = CountingLoop()
    ran: list = []
    posted = threading.Event()

    def blocked() -> None:  # on the loop: it is busy while the burst comes in
        posted.wait(5)

    async def main() -> None:
        loop.call_soon(blocked)
        poster = threading.Thread(target=lambda: (post_all(loop, ran), posted.set()))
        poster.start()
        await asyncio.sleep(0)  # run `blocked`, during which the thread posts
        poster.join(5)
        for _ in range(10):  # the wake-up and what it delivers
            await asyncio.sleep(0.01)

    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
    return loop, ran


@on_a_thread_of_its_own
def test_a_burst_of_calls_from_a_thread_runs_in_order_after_one_wake_up():
    def post_all(loop, ran):
        for n in range(100):
            loopmail.post(loop, ran.append, n)

    loop, ran = run_with_poster(post_all)
    assert ran == list(range(100))
    assert loop.wakes == 1


@on_a_thread_of_its_own
def test_calls_posted_after_a_delivery_wake_the_loop_again():
    loop = CountingLoop()
    ran: list = []

    async def main() -> None:
        for n in range(3):
            thread = threading.Thread(target=loopmail.post, args=(loop, ran.append, n))
            thread.start()
            thread.join()
            await asyncio.sleep(0.02)
            assert ran == list(range(n + 1))  # delivered before the next one is posted

    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
    assert loop.wakes == 3


@on_a_thread_of_its_own
def test_a_call_that_raises_is_reported_and_the_rest_still_run():
    reported = []

    def post_all(loop, ran):
        loop.set_exception_handler(lambda _loop, context: reported.append(context["exception"]))
        loopmail.post(loop, ran.append, "before")
        loopmail.post(loop, int, "not a number")
        loopmail.post(loop, ran.append, "after")

    _, ran = run_with_poster(post_all)
    assert ran == ["before", "after"]
    assert len(reported) == 1
    assert isinstance(reported[0], ValueError)


@on_a_thread_of_its_own
def test_posting_to_a_closed_loop_is_dropped_and_does_not_block_the_next_loop():
    closed = asyncio.new_event_loop()
    closed.close()
    loopmail.post(closed, print, "never")  # nothing can run it; it must not raise

    async def main(loop) -> list:
        ran: list = []
        threading.Thread(target=loopmail.post, args=(loop, ran.append, "runs")).start()
        for _ in range(50):
            await asyncio.sleep(0.01)
            if ran:
                break
        return ran

    loop = asyncio.new_event_loop()
    try:
        assert loop.run_until_complete(main(loop)) == ["runs"]
    finally:
        loop.close()


@on_a_thread_of_its_own
def test_wrap_future_hands_over_a_result_and_an_error():
    import concurrent.futures

    async def main():
        loop = asyncio.get_running_loop()
        good, bad = concurrent.futures.Future(), concurrent.futures.Future()
        waiting = [loopmail.wrap_future(good, loop), loopmail.wrap_future(bad, loop)]
        threading.Thread(target=good.set_result, args=(42,)).start()
        threading.Thread(target=bad.set_exception, args=(ValueError("写入失败"),)).start()
        return await asyncio.gather(*waiting, return_exceptions=True)

    result, error = asyncio.run(main())
    assert result == 42
    assert isinstance(error, ValueError)
