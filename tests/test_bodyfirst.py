"""Reading a request body on the event loop: a client silent for longer than the idle timeout
gets a 408, and a slow client that keeps sending does not (the timeout counts silence, not the
whole upload). The protocol below follows granian's RSGI contract for a request body: an
async iterator of byte chunks."""

import asyncio
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
