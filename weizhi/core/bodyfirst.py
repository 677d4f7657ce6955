"""Run a WSGI application under granian's RSGI interface, reading each request body first.

Under granian's WSGI interface a request takes one of the few application threads before its
body has arrived, and that thread then blocks in ``wsgi.input.read()`` for as long as the
client likes: sixteen clients that send headers and a few bytes of body held every thread, and
the site stopped answering. Here the body is read on the worker's event loop, where a waiting
client costs a socket and a coroutine, and a thread is taken only once the whole body is in
memory (or spooled to a temporary file). A client silent for longer than the idle timeout gets
a 408, and a body over the size limit a 413, before any thread is involved.

The guarantee: no application thread ever waits for a client's request body. (A slow reader
of a large streamed response still holds its thread while it is sent, as under WSGI.)

Nor for a commit, when the view says so: a view that hands its write to a background writer
(``core/answerafter.py``) returns at once, and its answer is sent from here once the write is
committed (a 500 if it failed).
"""

import asyncio
import functools
import io
import itertools
import logging
import queue
import sys
import tempfile
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from django.template.loader import render_to_string
from granian.rsgi import ProtocolClosed

from weizhi.core import answerafter, loopmail
from weizhi.core.logging import logging_for
from weizhi.core.requestlog import RequestLog

log = logging.getLogger(__name__)

# Bodies up to this size stay in memory; larger ones go to a temporary file.
SPOOL_BYTES = 1024 * 1024
# A response up to this size is answered in one piece; a larger one is streamed.
WHOLE_RESPONSE_BYTES = 1024 * 1024
TEXT = [("content-type", "text/plain; charset=utf-8")]
SERVER_ERROR = "服务器出错，请稍后再试。".encode()


@functools.cache
def _error_page() -> tuple[list, bytes]:
    """The site's 500 page (``500.html``, the page Django's own error view shows), rendered
    once: what a person gets when their request was answered but its write then failed."""
    try:
        page = render_to_string("500.html").encode()
    except Exception:  # a missing or broken template must not hide the error it reports
        log.exception("the 500 page could not be rendered; answering with plain text")
        return TEXT, SERVER_ERROR
    return [("content-type", "text/html; charset=utf-8")], page


# A request answered on the event loop rather than by the WSGI application: called with the
# request's WSGI environ (its body read in full) and `run(call, *args)`, which runs a call on
# one of the pool's threads; gives (status, headers, body).
Route = Callable[[dict, Callable[..., Awaitable[Any]]], Awaitable[tuple[int, list, bytes]]]


class BodyFirstApp:
    """An RSGI application that answers each request with `app`, a WSGI application, on a
    pool of `threads` threads, once the request's body has been read in full. The requests
    named in `routes` (method, path) are answered by their coroutine instead, which runs its
    blocking calls on a pool of its own of `route_threads` threads.

    The routes' pool is separate because their calls are short and CPU-bound (the WeChat
    callback decrypts and routes a message on it): every thread more on them is one more to
    pass the GIL between, while the pages' threads must be several to overlap their waits
    on the database. bench-callback (2 processes), paired runs: the callback on 1 thread of
    its own instead of the pages' 4 took embedded mode from 3,742 / 3,565 to 3,956 / 3,901
    messages/s and scaled mode from 3,212 / 3,229 to 3,430 / 3,432; 2 threads gave 3,803 /
    3,768 and 3,366 / 3,337."""

    def __init__(
        self,
        app: Callable,
        *,
        threads: int,
        route_threads: int = 1,
        body_idle_seconds: float,
        max_body_bytes: int,
        routes: Mapping[tuple[str, str], Route] | None = None,
    ) -> None:
        self.app = app
        self.routes = dict(routes or {})
        self.threads = threads
        self.route_threads = route_threads
        self.body_idle_seconds = body_idle_seconds
        self.max_body_bytes = max_body_bytes
        self.pool: _Pool | None = None
        self.route_pool: _Pool | None = None
        self.base_environ = {
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SCRIPT_NAME": "",
            "SERVER_SOFTWARE": "Granian",
            "wsgi.errors": sys.stderr,
            "wsgi.input_terminated": True,
            "wsgi.multiprocess": True,
            "wsgi.multithread": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.pool = _Pool(self.threads, "wsgi")
        if self.routes:
            self.route_pool = _Pool(self.route_threads, "route")

    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        if scope.proto != "http":
            return
        if self.pool is None:  # granian calls __rsgi_init__ first; a test might not
            self.__rsgi_init__(asyncio.get_running_loop())
        headers = scope.headers
        body: Any = EMPTY
        if headers.get("transfer-encoding") or headers.get("content-length", "0") != "0":
            # A request refused while its body comes in never reaches the WSGI layers, which
            # log the others: its warning and access line carry nginx's id from here.
            request_log = RequestLog(headers.get("x-request-id"))
            body, refusal = await self._read_body(scope, protocol)
            if refusal is not None:
                status, message = refusal
                answer = [*TEXT, ("connection", "close"), ("x-request-id", request_log.rid)]
                protocol.response_bytes(status, answer, message)
                request_log.finish(scope.method, scope.path, status)
                return
            request_log.end()
        environ = self._environ(scope, body)
        loop = asyncio.get_running_loop()
        route = self.routes.get((scope.method, scope.path))
        if route is not None:
            try:
                whole = await self._answer_route(route, environ, loop)
            finally:
                if body is not EMPTY:
                    body.close()
            protocol.response_bytes(*whole)
            return
        try:
            whole = await self.pool.run(loop, self._call, environ, loop, protocol)
        finally:
            if body is not EMPTY:
                body.close()
        if whole is None:
            return
        writes = environ[answerafter.ENVIRON_KEY]
        if writes:  # the view handed writes to a background writer: answer once committed
            whole = await self._after(writes, whole, environ)
        protocol.response_bytes(*whole)

    async def _after(self, writes: list, whole: tuple, environ: dict) -> tuple[int, list, bytes]:
        """The answer once `writes` are committed, or a 500 (with the request's id) if one
        failed. Cancelling this coroutine leaves the writes to finish (shielded)."""
        for write in writes:
            try:
                await asyncio.shield(loopmail.wrap_future(write, asyncio.get_running_loop()))
            except Exception:
                rid = next((v for k, v in whole[1] if k.lower() == "x-request-id"), "-")
                with logging_for(rid):
                    log.exception(
                        "write failed after %s %s", environ["REQUEST_METHOD"], environ["PATH_INFO"]
                    )
                headers, page = _error_page()
                return 500, [*headers, ("cache-control", "no-store"), ("X-Request-ID", rid)], page
        return whole

    async def _answer_route(
        self, route: Route, environ: dict, loop: asyncio.AbstractEventLoop
    ) -> tuple[int, list, bytes]:
        def run(call: Callable, *args: Any) -> asyncio.Future:
            return self.route_pool.run(loop, call, *args)

        try:
            return await route(environ, run)
        except Exception:
            log.exception(
                "unhandled error in %s %s", environ["REQUEST_METHOD"], environ["PATH_INFO"]
            )
            return 500, TEXT, SERVER_ERROR

    async def _read_body(self, scope: Any, protocol: Any) -> tuple[Any, tuple | None]:
        declared = scope.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            log.warning(
                "request body refused: declared length %s over %d bytes from %s %s",
                declared[:20],
                self.max_body_bytes,
                scope.method,
                scope.path[:200],
            )
            return EMPTY, (413, "请求内容过大。".encode())
        body = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - closed by __rsgi__
        size = 0
        loop = asyncio.get_running_loop()
        try:
            # One timeout for the whole body, moved on by every chunk: an idle timeout without
            # a task per chunk (asyncio.wait_for wraps each wait in a new task).
            async with asyncio.timeout(self.body_idle_seconds) as idle:
                async for chunk in protocol:
                    idle.reschedule(loop.time() + self.body_idle_seconds)
                    size += len(chunk)
                    if size > self.max_body_bytes:
                        log.warning(
                            "request body refused: over %d bytes for %s %s",
                            self.max_body_bytes,
                            scope.method,
                            scope.path[:200],
                        )
                        body.close()
                        return EMPTY, (413, "请求内容过大。".encode())
                    body.write(chunk)
        except TimeoutError:
            log.warning(
                "request body timed out: %d bytes in, then %.0f s of silence, for %s %s from %s",
                size,
                self.body_idle_seconds,
                scope.method,
                scope.path[:200],
                scope.client,
            )
            body.close()
            return EMPTY, (408, "请求超时，请重试。".encode())
        except Exception:  # the connection broke while the body came in
            body.close()
            return EMPTY, (400, b"")
        if declared is not None and size != int(declared):
            # The client went away mid-body; nobody is left to read an answer.
            body.close()
            return EMPTY, (400, b"")
        body.seek(0)
        return body, None

    def _environ(self, scope: Any, body: Any) -> dict:
        environ = self.base_environ.copy()
        server_host, _, server_port = scope.server.rpartition(":")
        client_host = scope.client.rpartition(":")[0]
        # WSGI carries the path's and the query's bytes read as Latin-1 (PEP 3333); RSGI gives
        # them decoded (a query sent as raw UTF-8 rather than percent-encoded included).
        environ.update(
            {
                "REQUEST_METHOD": scope.method,
                "PATH_INFO": scope.path.encode("utf-8", "surrogateescape").decode("latin-1"),
                "QUERY_STRING": scope.query_string.encode("utf-8", "surrogateescape").decode(
                    "latin-1"
                ),
                "SERVER_NAME": server_host.strip("[]"),
                "SERVER_PORT": server_port,
                "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
                "REMOTE_ADDR": client_host.strip("[]"),
                "wsgi.url_scheme": scope.scheme,
                "wsgi.input": body,
                answerafter.ENVIRON_KEY: [],
            }
        )
        for name, value in scope.headers.items():
            key = name.upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        if "CONTENT_LENGTH" not in environ and body is not EMPTY:
            environ["CONTENT_LENGTH"] = str(body.seek(0, io.SEEK_END))
            body.seek(0)
        return environ

    def _call(
        self, environ: dict, loop: asyncio.AbstractEventLoop, protocol: Any
    ) -> tuple[int, list, bytes] | None:
        """On a pool thread: the whole answer, or None once a long one has been streamed."""
        started: list = []

        def start_response(status: str, headers: list, exc_info: Any = None) -> Callable:
            if exc_info and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [int(status[:3]), headers]
            return _no_write

        try:
            result: Iterable[bytes] = self.app(environ, start_response)
        except Exception:
            log.exception(
                "unhandled error in %s %s", environ["REQUEST_METHOD"], environ["PATH_INFO"]
            )
            return 500, TEXT, SERVER_ERROR
        try:
            chunks, size = [], 0
            iterator = iter(result)
            for chunk in iterator:
                chunks.append(chunk)
                size += len(chunk)
                if size > WHOLE_RESPONSE_BYTES:
                    try:  # streamed from this thread, which then waits for the writes
                        for write in environ[answerafter.ENVIRON_KEY]:
                            write.result()
                    except Exception:
                        log.exception("write failed after %s", environ["PATH_INFO"])
                        return 500, TEXT, SERVER_ERROR
                    self._stream(loop, protocol, started, chunks, iterator)
                    return None
            return started[0], started[1], b"".join(chunks)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    def _stream(self, loop, protocol, started, chunks: list, iterator) -> None:
        # The rest is sent from this same thread, so a response that reads the database as
        # it goes keeps using this thread's connection.
        async def begin() -> Any:
            return protocol.response_stream(started[0], started[1])

        async def send(chunk: bytes) -> None:
            await transport.send_bytes(chunk)

        transport = asyncio.run_coroutine_threadsafe(begin(), loop).result()
        for chunk in itertools.chain([b"".join(chunks)], iterator):
            if not chunk:
                continue
            try:
                asyncio.run_coroutine_threadsafe(send(chunk), loop).result()
            except ProtocolClosed:  # the client went away; the rest would go nowhere
                log.info("client left during a streamed response")
                return


class _Pool:
    """Threads that run calls for an event loop. Lighter than run_in_executor, which wraps a
    concurrent.futures.Future in an asyncio one for every call; this is the hot path."""

    def __init__(self, threads: int, name: str) -> None:
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        for number in range(threads):
            threading.Thread(target=self._work, name=f"{name}-{number}", daemon=True).start()

    def run(self, loop: asyncio.AbstractEventLoop, call: Callable, *args: Any) -> asyncio.Future:
        future = loop.create_future()
        self.jobs.put((loop, future, call, args))
        return future

    def _work(self) -> None:
        while True:
            loop, future, call, args = self.jobs.get()
            try:
                result = call(*args)
            except BaseException as error:  # handed to the awaiting coroutine
                loopmail.post(loop, _settle, future, None, error)
            else:
                loopmail.post(loop, _settle, future, result, None)


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class _Empty(io.BytesIO):
    def close(self) -> None:  # shared by every request without a body
        pass


EMPTY = _Empty()


def _no_write(data: bytes) -> None:
    raise NotImplementedError("the write() callable of WSGI is not supported")
