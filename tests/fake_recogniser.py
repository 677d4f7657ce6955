"""A recognition service on a local port that speaks the contract of
weizhi/readaloud/recognisers.py: POST audio, Bearer key, JSON {"text": …}. It answers the
text it was given, refuses a wrong key with 401, and remembers what it received."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeRecogniser:
    def __init__(self, key: str = "test-key") -> None:
        self.key = key
        self.text = ""
        self.status = 200
        self.received: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake.received.append(
                    {"bytes": body, "type": self.headers.get("Content-Type"),
                     "format": self.headers.get("X-Audio-Format")}
                )  # fmt: skip
                if self.headers.get("Authorization") != f"Bearer {fake.key}":
                    self.send_response(401)
                    self.end_headers()
                    return
                answer = json.dumps({"text": fake.text}).encode()
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/recognise"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class BrokenRecogniser:
    """A configured recogniser class (READALOUD_RECOGNISER = this path) that crashes."""

    def recognise(self, path, fmt, hint=None):
        raise RuntimeError("the recogniser's model is missing")
