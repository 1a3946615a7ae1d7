"""httpwire against scripted raw HTTP answers: the shapes real servers use.

A Java scheduler's thrift servlet typically answers chunked (no Content-Length);
others close the connection to end the body, or send 100 Continue first.
"""

from __future__ import annotations

import os
import select
import socket
import threading
import time

import pytest

from aurora.api import httpwire
from aurora.api.httpwire import Broken, Connection, Expired, NotSent, Origin


class RawServer:
    """Accepts connections; for each request sends the next scripted raw answer."""

    def __init__(self, answers: list[bytes], close_after: bool = False):
        self.answers, self.close_after = list(answers), close_after
        self.requests: list[bytes] = []
        self.connections = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        threading.Thread(target=self.serve, daemon=True).start()

    @property
    def origin(self) -> Origin:
        return Origin("http", "127.0.0.1", self.sock.getsockname()[1])

    def serve(self) -> None:
        while self.answers:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                while self.answers:
                    data = conn.recv(65536)
                    if not data:
                        break
                    self.requests.append(data)
                    conn.sendall(self.answers.pop(0))
                    if self.close_after:
                        break

    def close(self) -> None:
        self.sock.close()


def post(connection: Connection, seconds: float = 10) -> bytes:
    response = connection.post("/api", {"Content-Type": "x"}, b"call", time.monotonic() + seconds,
                               5)
    assert response.status == 200
    return response.body


def broken_by(answer: bytes) -> Broken:
    """What `post` raises when a server sends `answer` and closes."""
    server = RawServer([answer], close_after=True)
    try:
        with pytest.raises(Broken) as caught:
            post(Connection(server.origin))
        return caught.value
    finally:
        server.close()


def test_chunked_and_content_length_bodies_on_one_kept_alive_connection():
    chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"4\r\nthri\r\n3;ext=1\r\nft!\r\n0\r\nTrailer: x\r\n\r\n")
    sized = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    server = RawServer([chunked, sized])
    try:
        connection = Connection(server.origin)
        assert post(connection) == b"thrift!"
        assert post(connection) == b"hello"
        assert server.connections == 1
        head = server.requests[0].split(b"\r\n\r\n")[0].decode()
        assert head.startswith("POST /api HTTP/1.1\r\n")
        assert f"Host: 127.0.0.1:{server.origin.port}" in head and "Content-Length: 4" in head
    finally:
        server.close()


@pytest.mark.parametrize("trusted", [httpwire.TRUSTED_SIZE, 100_000])
def test_a_large_body_arrives_whole_and_the_connection_stays_usable(trusted, monkeypatch):
    """A body of many megabytes is received into one buffer, partly from what came with
    the head (and grown as it comes, past a size taken on trust); the next answer on
    the connection is unaffected."""
    monkeypatch.setattr(httpwire, "TRUSTED_SIZE", trusted)
    big = os.urandom(3_000_000)
    server = RawServer([b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(big) + big,
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"])
    try:
        connection = Connection(server.origin)
        assert post(connection) == big
        assert post(connection) == b"ok"
        assert server.connections == 1
    finally:
        server.close()


@pytest.mark.parametrize("head", [b"Content-Length: -5", b"Content-Length: +5",
                                  b"Content-Length: 1_0", b"Transfer-Encoding: chunked"])
def test_a_malformed_length_is_broken(head):
    body = b"-5\r\nhello\r\n0\r\n\r\n" if b"chunked" in head else b"hello"
    assert "malformed" in str(broken_by(b"HTTP/1.1 200 OK\r\n" + head + b"\r\n\r\n" + body))


def test_a_huge_claimed_length_takes_no_memory_before_data_arrives():
    """A peer claiming 10**15 bytes and closing: Broken, not a MemoryError."""
    failure = broken_by(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % 10**15
                        + b"x" * 200_000)
    assert "closed without a complete answer" in str(failure)


def test_interim_answers_and_a_body_ended_by_close():
    server = RawServer([b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nConnection: close"
                        b"\r\n\r\nuntil the end"], close_after=True)
    try:
        connection = Connection(server.origin)
        assert post(connection) == b"until the end"
        assert connection.sock is None                     # closed, as the server said
    finally:
        server.close()


def test_a_closed_idle_connection_is_replaced_before_sending():
    sized = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    server = RawServer([sized, sized], close_after=True)   # closes after each answer
    try:
        connection = Connection(server.origin)
        assert post(connection) == b"ok"
        readable, _, _ = select.select([connection.sock], [], [], 10)   # the server's FIN
        assert readable
        assert post(connection) == b"ok"                   # a fresh connection, no error
        assert server.connections == 2
    finally:
        server.close()


@pytest.mark.parametrize("answer", [b"garbage\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 9"
                                    b"\r\n\r\nshort"])
def test_a_broken_answer_after_sending_is_broken(answer):
    assert broken_by(answer).sent


def test_a_refused_connection_was_not_sent():
    server = RawServer([])
    origin = server.origin
    server.close()
    with pytest.raises(NotSent) as caught:
        post(Connection(origin))
    assert not caught.value.sent


def test_a_slow_drip_stops_at_the_deadline():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def drip() -> None:
        conn, _ = listener.accept()
        conn.recv(65536)
        for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 100:
            if stop.is_set():
                break
            conn.sendall(bytes([byte]))
            time.sleep(0.05)
        conn.close()
    threading.Thread(target=drip, daemon=True).start()
    started = time.monotonic()
    try:
        with pytest.raises(Expired) as caught:
            post(Connection(Origin("http", "127.0.0.1", listener.getsockname()[1])), 0.5)
        assert caught.value.sent and time.monotonic() - started < 3
    finally:
        stop.set()
        listener.close()
