"""A loopback HTTP proxy that adds round-trip time and counts what crosses it.

`LatencyProxy(upstream, rtt)` forwards each POST to `upstream`'s /api after
sleeping `rtt` seconds (a request and its answer crossing a link), and charges a
new connection one more `rtt` (its TCP handshake). With `redirect_to`, it answers
every POST with a 307 to that URL instead: a non-leading scheduler, or a load
balancer in front of the leader. It counts connections and calls by thrift
method. Loopback only; it stops with its `with` block.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from tests.support.fakehttp import Loopback, serve
from tests.support.faultproxy import split_message

THRIFT = "application/vnd.apache.thrift.binary"


class LatencyProxy(Loopback):
    def __init__(self, upstream: str, rtt: float = 0.0, redirect_to: str | None = None):
        self.upstream, self.rtt, self.redirect_to = upstream, rtt, redirect_to
        self.connections = 0
        self.calls: Counter = Counter()
        self.sequence: list[str] = []       # thrift methods in the order they came
        self.lock = threading.Lock()

    def __enter__(self) -> LatencyProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                with proxy.lock:
                    proxy.connections += 1
                time.sleep(proxy.rtt)            # the handshake's round trip
                self.upstream_conn: Any = None

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with proxy.lock:
                    method = split_message(body)[0]
                    proxy.calls[method] += 1
                    proxy.sequence.append(method)
                time.sleep(proxy.rtt)
                if proxy.redirect_to:
                    self.send_response(307)
                    self.send_header("Location", f"{proxy.redirect_to}/api")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status, reply = self.forward(body)
                self.send_response(status)
                self.send_header("Content-Type", THRIFT)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def forward(self, body: bytes) -> tuple[int, bytes]:
                if self.upstream_conn is None:
                    parts = urlsplit(proxy.upstream)
                    self.upstream_conn = http.client.HTTPConnection(parts.hostname, parts.port,
                                                                    timeout=120)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() in ("content-type", "authorization", "accept")}
                self.upstream_conn.request("POST", "/api", body=body, headers=headers)
                answer = self.upstream_conn.getresponse()
                return answer.status, answer.read()

        self.server = serve(Handler)
        return self

    def reset(self) -> None:
        with self.lock:
            self.connections = 0
            self.calls.clear()
            self.sequence.clear()
