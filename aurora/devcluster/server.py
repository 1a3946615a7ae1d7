"""HTTP front of the devcluster: thrift at POST /api, a few plain pages for people.

Like the real scheduler, `/api` takes one binary thrift message per POST
(`application/vnd.apache.thrift.binary`) and keeps connections alive. The
pages (`/`, `/scheduler/ROLE[/ENV/JOB]`, `/health`, `/leaderhealth`) exist so that the links
the client prints lead somewhere.
"""

from __future__ import annotations

import html
import logging
import struct
import threading
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aurora.api.idl import api, status_name
from aurora.devcluster import taskwire
from aurora.devcluster.handler import SchedulerHandler

log = logging.getLogger("aurora.devcluster")

THRIFT_BINARY = "application/vnd.apache.thrift.binary"
BYPASS_HEADER = "Bypass-Leader-Redirect"
MAX_BODY = 64 * 1024 * 1024
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
    connection, through which every write goes; a reply is reused only for the
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
    processor.process(TCyBinaryProtocol(TCyMemoryBuffer(body)), TCyBinaryProtocol(out))
    return out.getvalue()


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"       # keep-alive, as the client expects
    disable_nagle_algorithm = True
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

    def _authenticated(self) -> bool:
        """With --users, the request's credentials name a user; else a 401 is sent.

        The API and the pages (which list jobs and task ids) are guarded alike.
        """
        from aurora.devcluster import auth

        auth.current.user = None
        if self.server.authenticator is None:
            return True
        user = self.server.authenticator.user_of(self.headers.get("Authorization"))
        if user is None:
            self.send_response(401)
            self.send_header("WWW-Authenticate", self.server.authenticator.challenge())
            self.send_header("Content-Length", "0")
            self.end_headers()
            return False
        auth.current.user = user
        return True

    def do_POST(self) -> None:
        if self.path.rstrip("/") != "/api":
            return self._send(404, b"thrift is served at /api\n", "text/plain")
        declared = int(self.headers.get("Content-Length") or 0)
        if declared <= 0 or declared > MAX_BODY:
            return self._send(400, b"a thrift message body is required\n", "text/plain")
        kind = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if kind != THRIFT_BINARY:
            return self._send(415, f"devcluster speaks {THRIFT_BINARY}\n".encode(), "text/plain")
        body = self.rfile.read(declared)
        if not self._authenticated():
            return None
        lead = self.server.leadership
        if lead is not None and not lead.is_leader and \
                (self.headers.get(BYPASS_HEADER) or "").lower() != "true":
            leader = lead.leader_url()
            if leader is None:
                return self._send(503, b"no leading scheduler is known yet\n", "text/plain")
            self.send_response(307)
            self.send_header("Location", f"{leader}/api")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        try:
            reply = self.server.answer(body)
        except Exception as exc:
            log.exception("bad thrift request")
            return self._send(400, f"not a thrift request: {exc}\n".encode(), "text/plain")
        log.debug("rpc %s answered", method_of(body))    # with -v: a record of each call
        self._send(200, reply, THRIFT_BINARY)

    def do_GET(self) -> None:
        path = self.path.split("?")[0].rstrip("/")
        if path == "/health":
            return self._send(200, b"OK\n", "text/plain")
        if path == "/leaderhealth":     # as the scheduler: 200 only on the leader
            lead = self.server.leadership
            if lead is None or lead.is_leader:
                return self._send(200, b"OK\n", "text/plain")
            return self._send(503, b"NOT LEADING\n", "text/plain")
        if path in ("", "/scheduler") or path.startswith("/scheduler/"):
            if not self._authenticated():
                return None
            parts = [p for p in path.split("/")[2:] if p]
            return self._send(200, self.server.page(parts).encode(), "text/html; charset=utf-8")
        self._send(404, b"not found\n", "text/plain")


class DevclusterHttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: SchedulerHandler,
                 reply_cache_bytes: int = 32 * 1024 * 1024):
        from thriftpy2.thrift import TProcessor

        super().__init__(address, RequestHandler)
        self.handler = handler
        self.processor = TProcessor(api().AuroraAdmin, handler)
        self.replies = ReplyCache(reply_cache_bytes)
        self.leadership: Any = None      # set when announcing through ZooKeeper
        self.authenticator: Any = None   # set with --users

    def answer(self, body: bytes) -> list[bytes]:
        """Process one thrift call, reusing the reply to an identical read at the same state."""
        if (method_of(body) not in READ_ONLY or self.authenticator is not None
                or not self.replies.max_bytes):
            return self.process(body)
        store = self.handler.store
        with store.lock:    # our own writes, and other processes' commits (standbys)
            version = (store.db.total_changes,
                       store.db.execute("PRAGMA data_version").fetchone()[0])
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

    def page(self, parts: list[str]) -> str:
        """A minimal listing: all jobs, one role's jobs, or one job's tasks."""
        a = api()
        title = "/".join(["devcluster", *parts])
        if len(parts) >= 3:
            query = a.TaskQuery(role=parts[0], environment=parts[1], jobName=parts[2])
            tasks = self.handler.getTasksWithoutConfigs(query).result.scheduleStatusResult.tasks
            rows = "".join(
                f"<tr><td>{t.assignedTask.instanceId}</td><td>{status_name(t.status)}</td>"
                f"<td>{html.escape(t.assignedTask.taskId)}</td>"
                f"<td>{html.escape(t.assignedTask.slaveHost or '')}</td></tr>" for t in tasks)
            table = f"<tr><th>instance</th><th>status</th><th>task</th><th>host</th></tr>{rows}"
        else:
            role = parts[0] if parts else None
            jobs = self.handler.getJobs(role).result.getJobsResult.configs
            rows = "".join(
                f"<tr><td><a href='/scheduler/{k.role}/{k.environment}/{k.name}'>"
                f"{html.escape(f'{k.role}/{k.environment}/{k.name}')}</a></td>"
                f"<td>{j.instanceCount}</td></tr>" for j in jobs for k in [j.key])
            table = f"<tr><th>job</th><th>instances</th></tr>{rows}"
        return (f"<!doctype html><title>{html.escape(title)}</title>"
                f"<h1>{html.escape(title)}</h1><table>{table}</table>\n")
