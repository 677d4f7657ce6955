"""A local fake of other sites over real HTTP on 127.0.0.1: feeds, article pages, pictures.

It serves the demo feeds and pages (weizhi/news/demo) and the test data (tests/data/news)
with `{BASE}` replaced by its own address, answers conditional GETs as a web server does
(ETag / If-None-Match and Last-Modified / If-Modified-Since give 304), and records every
request. Tests add paths, slow paths and redirects as they need.
"""

import hashlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "weizhi" / "news" / "demo"
DATA = ROOT / "tests" / "data" / "news"
TYPES = {".xml": "application/xml", ".html": "text/html; charset=utf-8", ".png": "image/png"}
LAST_MODIFIED = "Sat, 28 Nov 2026 04:00:00 GMT"


class FakeSite:
    def __init__(self) -> None:
        self.files: dict[str, tuple[str, bytes]] = {}
        self.slow: dict[str, float] = {}
        self.redirects: dict[str, str] = {}
        self.requests: list[tuple[str, dict]] = []
        self.url = ""

    def load(self) -> None:
        for folder, prefix in ((DEMO, "/news/demo/"), (DATA, "/data/")):
            for path in folder.rglob("*"):
                if path.is_file() and path.suffix in TYPES:
                    name = prefix + str(path.relative_to(folder))
                    body = path.read_bytes().replace(b"{BASE}", (self.url + prefix[:-1]).encode())
                    self.files[name] = (TYPES[path.suffix], body)

    def put(self, path: str, body: bytes, kind: str = "application/xml") -> None:
        self.files[path] = (kind, body)

    def hits(self, path: str) -> list[dict]:
        return [headers for p, headers in self.requests if p == path]


def serve(site: FakeSite) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            headers = {k.lower(): v for k, v in self.headers.items()}
            site.requests.append((path, headers))
            if path in site.slow:
                time.sleep(site.slow[path])
            if path in site.redirects:
                self._answer(302, b"", "text/plain", {"Location": site.redirects[path]})
                return
            if path not in site.files:
                self._answer(404, b"<h1>404 Not Found</h1>", "text/html")
                return
            kind, body = site.files[path]
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            fresh = headers.get("if-none-match") == etag or (
                "if-none-match" not in headers and headers.get("if-modified-since") == LAST_MODIFIED
            )
            extra = {"ETag": etag, "Last-Modified": LAST_MODIFIED}
            if fresh:
                self._answer(304, b"", kind, extra)
                return
            self._answer(200, body, kind, extra)

        def _answer(self, status: int, body: bytes, kind: str, extra: dict | None = None) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    site.url = f"http://127.0.0.1:{server.server_address[1]}"
    site.load()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
