"""The fake over real HTTP: a threaded wsgiref server, in a thread or as its own process."""

import argparse
import contextlib
import socketserver
import threading
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .core import FakeWeChat


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(fake: FakeWeChat, host: str = "127.0.0.1", port: int = 0) -> tuple[WSGIServer, str]:
    """Serve the fake in a daemon thread; returns the server (call shutdown()) and its URL."""
    server = make_server(host, port, fake, server_class=_Server, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="fake-wechat", daemon=True)
    thread.start()
    return server, f"http://{host}:{server.server_port}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake WeChat API server (weizhi)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument("--app-id", default="wxweizhisimulated0")
    parser.add_argument("--secret", default="fake-secret")
    parser.add_argument(
        "--any-openid", action="store_true", help="accept messages to openids it never saw"
    )
    args = parser.parse_args(argv)
    fake = FakeWeChat(args.app_id, args.secret, strict_users=not args.any_openid)
    server = make_server(
        args.host, args.port, fake, server_class=_Server, handler_class=_QuietHandler
    )
    print(
        f"fake WeChat API on http://{args.host}:{server.server_port} (app id {args.app_id})",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
