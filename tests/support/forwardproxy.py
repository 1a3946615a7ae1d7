"""A loopback forward proxy, as a site's HTTP proxy would be: a POST to an absolute
http:// URI is forwarded, a CONNECT opens a tunnel (for https). It records what it
was asked (method, target, Proxy-Authorization) and, with `credentials`, answers
407 to a request without them."""

from __future__ import annotations

import select
import socket
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from tests.support.fakehttp import Loopback, post_upstream, send_thrift, serve


class ForwardProxy(Loopback):
    def __init__(self, credentials: str | None = None):
        self.credentials = credentials          # the Proxy-Authorization value required
        self.seen: list[tuple[str, str, str | None]] = []
        self.lock = threading.Lock()

    def __enter__(self) -> ForwardProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _admitted(self) -> bool:
                given = self.headers.get("Proxy-Authorization")
                with proxy.lock:
                    proxy.seen.append((self.command, self.path, given))
                if proxy.credentials is None or given == proxy.credentials:
                    return True
                self.send_response(407)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return False

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if not self._admitted():
                    return
                target = urlsplit(self.path)
                if target.scheme != "http":         # not an absolute URI: not for a proxy
                    send_thrift(self, 400, b"")
                    return
                status, reply = post_upstream(f"http://{target.netloc}", body)
                send_thrift(self, status, reply)

            def do_CONNECT(self) -> None:
                if not self._admitted():
                    return
                host, _, port = self.path.rpartition(":")
                upstream = socket.create_connection((host.strip("[]"), int(port)), 10)
                self.send_response(200, "Connection established")
                self.end_headers()
                relay(self.connection, upstream)
                self.close_connection = True

        self.server = serve(Handler)
        return self


def relay(one: socket.socket, other: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    try:
        while True:
            ready, _, _ = select.select([one, other], [], [], 30)
            if not ready:
                return
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    return
                (other if sock is one else one).sendall(data)
    except OSError:
        return
    finally:
        other.close()
