"""A scripted HTTP server in a thread, to put failures between client and devcluster."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Seen:
    """One request as the server received it."""
    path: str
    headers: dict[str, str]
    body: bytes
    client: tuple[str, int]


@dataclass
class FakeScheduler:
    """`script(n, seen)` answers request n: (status, body) or None to forward upstream."""
    script: Callable[[int, Seen], tuple[int, bytes] | None]
    upstream: str | None = None
    requests: list[Seen] = field(default_factory=list)

    def __enter__(self) -> FakeScheduler:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                seen = Seen(self.path, dict(self.headers), body, self.client_address)
                owner.requests.append(seen)
                answer = owner.script(len(owner.requests), seen)
                if answer is None:
                    answer = owner.forward(body)
                status, payload = answer
                self.send_response(status)
                self.send_header("Content-Type", "application/vnd.apache.thrift.binary")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def forward(self, body: bytes) -> tuple[int, bytes]:
        parts = urlsplit(self.upstream)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        conn.request("POST", "/api", body=body,
                     headers={"Content-Type": "application/vnd.apache.thrift.binary"})
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response.status, data
