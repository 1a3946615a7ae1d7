"""A loopback proxy in front of a scheduler that breaks the wire in chosen ways.

Every fault except `drip-before` and `refuse` is injected *after* the call was
forwarded and answered upstream, i.e. after the scheduler acted: exactly the
case where a client that sends a write again makes the scheduler act twice.

Faults (per thrift method name, see `FaultProxy.faults`):

* `drop`         forward, then close the client's connection without an answer
* `502`          forward, then answer HTTP 502 (`503`, `504` alike)
* `other-method` forward, then answer with the reply renamed to another method
* `wrong-seqid`  forward, then answer with the reply's sequence id changed
* `no-result`    forward, then answer an OK Response that carries no result
* `no-code`      forward, then answer a Response without a response code
* `drip`         forward, then send the answer one byte every `drip_interval` s
"""

from __future__ import annotations

import socket
import struct
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.fakehttp import THRIFT, post_upstream, send_thrift, serve_posts


def split_message(data: bytes) -> tuple[str, int, bytes]:
    """(method, seqid, rest) of a strict binary thrift message."""
    (length,) = struct.unpack_from(">I", data, 4)
    name = data[8:8 + length].decode()
    (seqid,) = struct.unpack_from(">i", data, 8 + length)
    return name, seqid, data[12 + length:]


def join_message(kind_word: bytes, name: str, seqid: int, rest: bytes) -> bytes:
    encoded = name.encode()
    return kind_word + struct.pack(">I", len(encoded)) + encoded + struct.pack(">i", seqid) + rest


NO_CODE = -1        # scheduler_reply(code=NO_CODE): a Response with no responseCode at all


def scheduler_reply(method: str, seqid: int, code: int | None = None,
                    message: str | None = None) -> bytes:
    """A thrift REPLY to `method` carrying a Response with `code` (OK) and no result.

    `seqid` must be the call's: a fresh client numbers its calls from 1.
    """
    from thriftpy2.protocol import TBinaryProtocol
    from thriftpy2.thrift import TMessageType
    from thriftpy2.transport import TMemoryBuffer

    from aurora.api.idl import api

    a = api()
    details = [a.ResponseDetail(message=message)] if message is not None else []
    result = getattr(a.AuroraAdmin, f"{method}_result")(success=a.Response(
        responseCode=a.ResponseCode.OK if code is None else None if code == NO_CODE else code,
        details=details))
    out = TMemoryBuffer()
    protocol = TBinaryProtocol(out)
    protocol.write_message_begin(method, TMessageType.REPLY, seqid)
    result.write(protocol)
    protocol.write_message_end()
    return out.getvalue()


@dataclass
class FaultProxy:
    upstream: str
    faults: dict[str, str] = field(default_factory=dict)   # method -> fault
    drip_interval: float = 0.5
    forwarded: Counter = field(default_factory=Counter)    # method -> calls passed upstream
    headers_seen: list[dict[str, str]] = field(default_factory=list)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def start(self) -> FaultProxy:
        self.server = serve_posts(self.receive)
        return self

    def receive(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        self.headers_seen.append(dict(handler.headers))
        self.handle(handler, body)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def forward(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes]:
        headers = {k: v for k, v in handler.headers.items()
                   if k.lower() in ("content-type", "authorization", "accept")}
        return post_upstream(self.upstream, body, headers)

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        method, seqid, _ = split_message(body)
        fault = self.faults.get(method)
        status, reply = self.forward(handler, body)
        self.forwarded[method] += 1
        if fault == "drop":
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault in ("502", "503", "504"):
            return send_thrift(handler, int(fault), b"bad gateway\n")
        if fault == "other-method":
            _, rseqid, rest = split_message(reply)
            reply = join_message(reply[:4], "getQuota", rseqid, rest)
        elif fault == "wrong-seqid":
            name, rseqid, rest = split_message(reply)
            reply = join_message(reply[:4], name, rseqid + 1000, rest)
        elif fault == "no-result":
            reply = scheduler_reply(method, seqid)   # OK, but no result
        elif fault == "no-code":
            reply = scheduler_reply(method, seqid, code=NO_CODE)
        if fault == "drip":
            return self.drip(handler, status, reply)
        send_thrift(handler, status, reply)

    def drip(self, handler: BaseHTTPRequestHandler, status: int, payload: bytes) -> None:
        head = (f"HTTP/1.1 {status} OK\r\nContent-Type: {THRIFT}\r\n"
                f"Content-Length: {len(payload)}\r\n\r\n").encode()
        try:
            for byte in head + payload:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                time.sleep(self.drip_interval)
        except OSError:
            pass                     # the client gave up: that is the point
        handler.close_connection = True


def executed(log_path: Any) -> Counter:
    """Calls the devcluster answered, by method, from its own `-v` log."""
    counts: Counter = Counter()
    try:
        text = open(log_path, errors="replace").read()
    except OSError:
        return counts
    for line in text.splitlines():
        marker = line.find(": rpc ")
        if marker >= 0 and line.endswith(" answered"):
            counts[line[marker + 6:-len(" answered")]] += 1
    return counts
