"""Reading a request body on the event loop: a client silent for longer than the idle timeout
gets a 408, and a slow client that keeps sending does not (the timeout counts silence, not the
whole upload). The protocol below follows granian's RSGI contract for a request body: an
async iterator of byte chunks. And the routes answered on the loop (the WeChat callback) run
their calls on threads of their own, which pages holding every web thread do not hold up."""

import asyncio
import threading
from types import SimpleNamespace

from tests.base import run_coroutine
from weizhi.core.bodyfirst import BodyFirstApp

IDLE = 0.4


class Client:
    """A request body sent as (pause in seconds, chunk) steps."""

    def __init__(self, steps: list[tuple[float, bytes]]) -> None:
        self.steps = steps

    async def __aiter__(self):
        for pause, chunk in self.steps:
            await asyncio.sleep(pause)
            yield chunk


def read(steps: list[tuple[float, bytes]], *, chunked: bool = False):
    app = BodyFirstApp(None, threads=1, body_idle_seconds=IDLE, max_body_bytes=1000)
    size = sum(len(chunk) for _, chunk in steps)
    headers = {"transfer-encoding": "chunked"} if chunked else {"content-length": str(size)}
    scope = SimpleNamespace(headers=headers, method="POST", path="/x/", client="127.0.0.1:1")
    body, refusal = run_coroutine(app._read_body(scope, Client(steps)))
    return (body.read() if refusal is None else None), refusal


def test_a_slow_client_that_keeps_sending_is_read_in_full():
    steps = [(IDLE * 0.5, b"ab")] * 5  # 1.25 idle timeouts in all, never silent for one
    body, refusal = read(steps)
    assert refusal is None
    assert body == b"ab" * 5


def test_a_client_silent_for_longer_than_the_idle_timeout_gets_408():
    body, refusal = read([(0.0, b"ab"), (IDLE * 2.5, b"cd")])
    assert body is None
    assert refusal[0] == 408


def test_a_chunked_body_over_the_limit_gets_413_as_it_comes_in():
    _, refusal = read([(0.0, b"x" * 600), (0.0, b"x" * 600)], chunked=True)
    assert refusal[0] == 413


class Answered:
    """granian's RSGI protocol for a request without a body: the answer recorded."""

    answer: tuple | None = None

    def response_bytes(self, status: int, headers: list, body: bytes) -> None:
        self.answer = (status, headers, body)


def scope(method: str, path: str) -> SimpleNamespace:
    return SimpleNamespace(
        proto="http", method=method, path=path, query_string="", headers={},
        server="127.0.0.1:8000", client="127.0.0.1:50000", scheme="http", http_version="1.1",
    )  # fmt: skip


def test_a_route_runs_on_its_own_threads_while_pages_hold_every_web_thread():
    released, page_threads, route_threads = threading.Event(), [], []

    def page(environ, start_response):  # a slow page: the database, an upload
        page_threads.append(threading.current_thread().name)
        released.wait(10)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"page"]

    def work(n: int) -> int:
        route_threads.append(threading.current_thread().name)
        return n * 2

    async def route(environ, run):
        doubled = [await run(work, n) for n in range(3)]
        return 200, [("Content-Type", "text/plain")], repr(doubled).encode()

    app = BodyFirstApp(
        page, threads=2, route_threads=1, body_idle_seconds=IDLE, max_body_bytes=1000,
        routes={("POST", "/route/"): route},
    )  # fmt: skip

    async def pages_then_route():
        app.__rsgi_init__(asyncio.get_running_loop())
        pages = [Answered(), Answered()]
        held = [asyncio.create_task(app.__rsgi__(scope("GET", "/"), p)) for p in pages]
        while len(page_threads) < 2:  # both web threads are in a page
            await asyncio.sleep(0.01)
        routed = Answered()
        await asyncio.wait_for(app.__rsgi__(scope("POST", "/route/"), routed), 5)
        still_held = not any(p.answer for p in pages)
        released.set()
        await asyncio.gather(*held)
        return routed.answer, still_held, [p.answer for p in pages]

    routed, still_held, pages = run_coroutine(pages_then_route())
    assert routed == (200, [("Content-Type", "text/plain")], b"[0, 2, 4]")
    assert still_held  # the route was answered while both pages waited
    assert [answer[2] for answer in pages] == [b"page", b"page"]
    assert sorted(set(page_threads)) == ["wsgi-0", "wsgi-1"]
    assert route_threads == ["route-0"] * 3
