"""A scripted HTTP server in a thread, to put failures between client and devcluster."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

THRIFT = "application/vnd.apache.thrift.binary"


def serve(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    """A threaded HTTP server on 127.0.0.1 (a free port), serving in the background."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def serve_posts(on_post: Callable[[BaseHTTPRequestHandler, bytes], None]) -> ThreadingHTTPServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 handing each POST and its body to `on_post`."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            on_post(self, self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    return serve(Handler)


class Loopback:
    """A server of `serve`'s for a `with` block: stopped at its end, reached at `url`."""

    server: ThreadingHTTPServer

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


def send_thrift(handler: BaseHTTPRequestHandler, status: int, payload: bytes) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", THRIFT)
    handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    handler.wfile.write(payload)


def post_upstream(url: str, body: bytes, headers: dict[str, str] | None = None,
                  timeout: float = 60) -> tuple[int, bytes]:
    """POST `body` to `url`'s /api: (status, payload) as the upstream answered."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    conn.request("POST", "/api", body=body, headers=headers or {"Content-Type": THRIFT})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


@dataclass
class Seen:
    """One request as the server received it."""
    path: str
    headers: dict[str, str]
    body: bytes
    client: tuple[str, int]


@dataclass
class FakeScheduler(Loopback):
    """`script(n, seen)` answers request n: (status, body) or None to forward upstream."""
    script: Callable[[int, Seen], tuple[int, bytes] | None]
    upstream: str | None = None
    requests: list[Seen] = field(default_factory=list)

    def __enter__(self) -> FakeScheduler:
        self.server = serve_posts(self.answer)
        return self

    def answer(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        seen = Seen(handler.path, dict(handler.headers), body, handler.client_address)
        self.requests.append(seen)
        answer = self.script(len(self.requests), seen)
        if answer is None:
            answer = post_upstream(self.upstream, body)
        send_thrift(handler, *answer)
