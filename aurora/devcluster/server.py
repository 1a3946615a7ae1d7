"""HTTP front of the devcluster: thrift at POST /api, a few plain pages for people.

Like the real scheduler, `/api` takes one binary thrift message per POST
(`application/vnd.apache.thrift.binary`) and keeps connections alive. The
web pages (`/`, `/scheduler/...`, `/updates`: aurora/devcluster/pages) need the same
credentials as the API; `/health` and `/leaderhealth` are public.
"""

from __future__ import annotations

import logging
import struct
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aurora.api import wirecheck
from aurora.api.idl import api
from aurora.devcluster import taskwire
from aurora.devcluster.handler import SchedulerHandler

log = logging.getLogger("aurora.devcluster")

THRIFT_BINARY = "application/vnd.apache.thrift.binary"
BYPASS_HEADER = "Bypass-Leader-Redirect"
MAX_BODY = 64 * 1024 * 1024         # one request's body
BODIES_AT_ONCE = 256 * 1024 * 1024  # bodies being read or answered, all connections together
DISCARD_AT_MOST = 1024 * 1024       # an unwanted body read and dropped before closing
MAX_CONNECTIONS = 64                # open connections; more are answered 503 and closed
IDLE_SECONDS = 60                   # a connection silent this long is closed
READ_ONLY = frozenset({
    "getRoleSummary", "getJobSummary", "getTasksStatus", "getTasksWithoutConfigs",
    "getPendingReason", "getConfigSummary", "getJobs", "getQuota", "populateJobConfig",
    "getJobUpdateSummaries", "getJobUpdateDetails", "getJobUpdateDiff", "getTierConfigs"})


def method_of(body: bytes) -> str | None:
    """The method name of a strict binary thrift call, without decoding the rest."""
    try:
        version, length = struct.unpack_from(">II", body)
        if version & 0xFFFF0000 != 0x80010000:    # strict binary protocol, version 1
            return None
        return body[8:8 + length].decode("utf-8")
    except (struct.error, UnicodeDecodeError):
        return None


class ReplyCache:
    """Answers repeated read-only calls from memory while the state is unchanged.

    The state's version is SQLite's count of changed rows on the devcluster's
    connection, through which every write goes (with the version of the engine's
    pending reasons, kept in memory); a reply is reused only for the
    same request bytes at the same version. The cache is bounded by bytes (request
    plus reply), least recently used first out; a reply larger than a quarter of
    the budget is never kept, and a budget of 0 turns the cache off. A reply is a
    list of pieces of bytes, as `DevclusterHttpServer.process` makes it.
    """

    def __init__(self, max_bytes: int = 32 * 1024 * 1024):
        self.max_bytes = max_bytes
        self.used = 0
        self.entries: OrderedDict[bytes, tuple[Any, list[bytes]]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, body: bytes, version: Any) -> list[bytes] | None:
        with self.lock:
            hit = self.entries.get(body)
            if hit is None or hit[0] != version:
                return None
            self.entries.move_to_end(body)
            return hit[1]

    def put(self, body: bytes, version: Any, reply: list[bytes]) -> None:
        size = len(body) + taskwire.size_of(reply)
        if size * 4 > self.max_bytes:
            return
        with self.lock:
            old = self.entries.pop(body, None)
            if old is not None:
                self.used -= len(body) + taskwire.size_of(old[1])
            self.entries[body] = (version, reply)
            self.used += size
            while self.used > self.max_bytes:
                key, (_, dropped) = self.entries.popitem(last=False)
                self.used -= len(key) + taskwire.size_of(dropped)



def process_thrift(processor: Any, body: bytes) -> bytes:
    from thriftpy2.protocol import TCyBinaryProtocol
    from thriftpy2.transport import TCyMemoryBuffer

    out = TCyMemoryBuffer()
    processor.process(TCyBinaryProtocol(wirecheck.reader(body)), TCyBinaryProtocol(out))
    return out.getvalue()


class BodyBudget:
    """Bytes of request bodies in memory at once: a request that would go over waits
    for nobody; it is answered 503 (the client retries reads, and a write's sender
    learns it was not taken)."""

    def __init__(self, limit: int = BODIES_AT_ONCE):
        self.limit = limit
        self.used = 0
        self.lock = threading.Lock()

    @contextmanager
    def reserve(self, size: int) -> Iterator[bool]:
        with self.lock:
            room = self.used + size <= self.limit
            if room:
                self.used += size
        try:
            yield room
        finally:
            if room:
                with self.lock:
                    self.used -= size


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"       # keep-alive, as the client expects
    disable_nagle_algorithm = True
    timeout = IDLE_SECONDS
    body_taken = False                  # this request's body was read (or there is none)
    server: DevclusterHttpServer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def _send(self, code: int, body: bytes | list[bytes], content_type: str) -> None:
        """One response; a body in pieces is written piece by piece, never joined."""
        pieces = [body] if isinstance(body, bytes) else body
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(taskwire.size_of(pieces)))
        self.end_headers()
        for piece in pieces:
            self.wfile.write(piece)

    def _refuse(self, code: int, why: str, headers: dict[str, str] | None = None) -> None:
        """A 4xx/5xx answer that ends the connection: a body not read is never taken for
        the next request (request smuggling). One log line, no traceback."""
        log.info("%s %s %s: %s", self.address_string(), self.command, self.path[:80], why)
        self.close_connection = True
        self.send_response(code)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        body = f"{why}\n".encode()
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self._discard_small_body()

    def _discard_small_body(self) -> None:
        """Read a small unread body before closing, so the peer reads our answer rather
        than a reset; a large or malformed one is left (the connection closes anyway)."""
        declared = (self.headers.get("Content-Length") or "").strip() if self.headers else ""
        if self.body_taken or self.command != "POST":
            return
        if declared.isdigit() and int(declared) <= DISCARD_AT_MOST:
            try:
                self.rfile.read(int(declared))
            except OSError:
                pass

    def _authenticated(self) -> bool:
        """With --users, the request's credentials name a user; else a 401 is sent.

        Called before any body is read, so an unauthenticated request costs its headers
        only. The API and the pages (which list jobs and task ids) are guarded alike.
        """
        from aurora.devcluster import auth

        auth.current.user = None
        if self.server.authenticator is None:
            return True
        user = self.server.authenticator.user_of(self.headers.get("Authorization"))
        if user is None:
            self._refuse(401, "authentication required",
                         {"WWW-Authenticate": self.server.authenticator.challenge()})
            return False
        auth.current.user = user
        return True

    def _body_length(self) -> int | None:
        """The declared body length, or None (after a 400) unless it is plain digits
        within MAX_BODY: `abc`, `1e3`, `10, 10` and chunked bodies are refused."""
        if self.headers.get("Transfer-Encoding"):
            self._refuse(400, "chunked bodies are not accepted; send a Content-Length")
            return None
        declared = self.headers.get_all("Content-Length") or []
        text = declared[0].strip() if len(declared) == 1 else ""
        if not text.isdigit() or not text.isascii():
            self._refuse(400, "a single Content-Length of plain digits is required")
            return None
        if not 0 < int(text) <= MAX_BODY:
            self._refuse(413 if int(text) else 400,
                         f"a thrift message of 1 to {MAX_BODY} bytes is required")
            return None
        return int(text)

    def _redirected(self) -> bool:
        """On a standby, a 307 to the leader (or a 503 while none is known)."""
        lead = self.server.leadership
        if lead is None or lead.is_leader or \
                (self.headers.get(BYPASS_HEADER) or "").lower() == "true":
            return False
        leader = lead.leader_url()
        if leader is None:
            self._refuse(503, "no leading scheduler is known yet")
        else:
            self._refuse(307, "redirected to the leading scheduler",
                         {"Location": f"{leader}/api"})
        return True

    def do_POST(self) -> None:
        self.body_taken = False
        if self.path.rstrip("/") != "/api":
            return self._refuse(404, "thrift is served at /api")
        kind = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if kind != THRIFT_BINARY:
            return self._refuse(415, f"devcluster speaks {THRIFT_BINARY}")
        if not self._authenticated():
            return None
        declared = self._body_length()
        if declared is None or self._redirected():
            return None
        with self.server.bodies.reserve(declared) as room:
            if not room:
                return self._refuse(503, "too many large requests at once; retry shortly")
            body = self.rfile.read(declared)
            self.body_taken = True
            if len(body) < declared:
                self.close_connection = True
                return None
            try:
                reply = self.server.answer(body)
            except wirecheck.Malformed as exc:
                return self._refuse(400, f"not a thrift request: {exc}")
            except Exception as exc:  # noqa: BLE001 - a request must never stop the server
                return self._refuse(400, f"not a thrift request: {type(exc).__name__}: "
                                         f"{str(exc)[:200]}")
        log.debug("rpc %s answered", method_of(body))    # with -v: a record of each call
        self._send(200, reply, THRIFT_BINARY)

    def do_GET(self) -> None:
        if self.headers.get("Transfer-Encoding") or \
                (self.headers.get("Content-Length") or "0").strip() != "0":
            return self._refuse(400, "a GET request carries no body")
        path = self.path.split("?")[0].rstrip("/")
        if path == "/health":
            return self._send(200, b"OK\n", "text/plain")
        if path == "/leaderhealth":     # as the scheduler: 200 only on the leader
            lead = self.server.leadership
            if lead is None or lead.is_leader:
                return self._send(200, b"OK\n", "text/plain")
            return self._send(503, b"NOT LEADING\n", "text/plain")
        return self._page(path, self.path.partition("?")[2])

    def _page(self, path: str, query: str) -> None:
        """The web pages (aurora/devcluster/pages), guarded like the API."""
        from aurora.devcluster import pages

        if not self._authenticated():
            return None
        try:
            reply = pages.respond(self.server, path, query)
        except Exception as exc:  # noqa: BLE001 - a page must never stop the server
            log.exception("page %s failed", path[:80])
            return self._refuse(500, f"the page failed: {type(exc).__name__}")
        if reply is None:
            return self._send(404, b"not found\n", "text/plain")
        self.send_response(reply.code)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)


class DevclusterHttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: SchedulerHandler,
                 reply_cache_bytes: int = 32 * 1024 * 1024):
        from thriftpy2.thrift import TProcessor

        super().__init__(address, RequestHandler)
        self.bodies = BodyBudget()
        self.connections = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self.handler = handler
        self.processor = TProcessor(api().AuroraAdmin, handler)
        self.replies = ReplyCache(reply_cache_bytes)
        self.leadership: Any = None      # set when announcing through ZooKeeper
        self.authenticator: Any = None   # set with --users

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line for a connection that failed, never a traceback in the log."""
        import sys

        failure = sys.exc_info()[1]
        log.info("%s: connection ended: %s: %s", client_address[0],
                 type(failure).__name__, str(failure)[:200])

    def process_request(self, request: Any, client_address: Any) -> None:
        """A thread per connection, at most MAX_CONNECTIONS of them; past that a
        connection gets a 503 and is closed, costing no thread."""
        if not self.connections.acquire(blocking=False):
            log.info("%s: over %d connections; answered 503", client_address[0],
                     MAX_CONNECTIONS)
            try:
                request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                                b"Connection: close\r\nRetry-After: 1\r\n\r\n")
            except OSError:
                pass
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.connections.release()

    def answer(self, body: bytes) -> list[bytes]:
        """Process one thrift call, reusing the reply to an identical read at the same state.

        The call is checked first (`wirecheck`): no count in it may claim more than
        its bytes can hold, so no request costs more than time linear in its size."""
        wirecheck.check(body)
        if (method_of(body) not in READ_ONLY or self.authenticator is not None
                or not self.replies.max_bytes):
            return self.process(body)
        store = self.handler.store
        with store.lock:    # our own writes, and other processes' commits (standbys)
            version = (store.db.total_changes,
                       store.db.execute("PRAGMA data_version").fetchone()[0],
                       self.handler.engine.reasons_version)   # pending reasons: in memory
        reply = self.replies.get(body, version)
        if reply is None:
            reply = self.process(body)
            self.replies.put(body, version, reply)
        return reply

    def process(self, body: bytes) -> list[bytes]:
        """The reply to one thrift call, in pieces: task queries written straight from
        the store (`taskwire`: no 10,000 objects built to be serialized), the rest by
        thriftpy2."""
        if method_of(body) in taskwire.METHODS:
            reply = taskwire.reply(self.handler, body)
            if reply is not None:
                return reply
        return [process_thrift(self.processor, body)]
