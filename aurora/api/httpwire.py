"""One HTTP/1.1 POST at a time over a kept-alive socket, under a hard deadline.

Why not `http.client`: it imports `ssl` (and the `email` parser) even for
plain http, it cannot bound a whole exchange (a server dripping a byte every
few seconds never trips a per-read timeout), and it does not tell whether any
byte of the request left. Here every socket operation gets the time left until
the call's deadline, and a failure says which side of "sent" it happened on:

* `NotSent`: nothing of the request was written (name lookup, refused,
  connect timeout): the scheduler cannot have acted.
* `TlsFailure`: the TLS handshake failed (e.g. certificate verification).
* `Broken`: the request may have arrived, no complete response came back.
* `Expired`: the deadline passed; `sent` says on which side.
"""

from __future__ import annotations

import select
import socket
import time
from collections import namedtuple
from typing import Any

MAX_LINE = 65536
MAX_HEADERS = 100
CHUNK = 65536
TRUSTED_SIZE = 256 << 20    # a body's first block at most; past it, it doubles as data comes


class WireError(Exception):
    """A failed exchange; `sent` tells whether request bytes may have reached the peer."""

    sent = True


class NotSent(WireError):
    sent = False


class Unresolved(NotSent):
    """The host name does not resolve."""


class TlsFailure(NotSent):
    """Handshake refused; `verify` is True when the certificate did not verify."""

    def __init__(self, message: str, verify: bool):
        super().__init__(message)
        self.verify = verify


class Broken(WireError):
    pass


class Expired(WireError):
    def __init__(self, message: str, sent: bool):
        super().__init__(message)
        self.sent = sent


class Response:
    __slots__ = ("status", "reason", "headers", "body")

    def __init__(self, status: int, reason: str, headers: dict[str, str],
                 body: bytes | bytearray):
        self.status, self.reason, self.body = status, reason, body
        self.headers = headers          # lower-cased names


class Origin(namedtuple("Origin", "scheme host port")):
    """scheme, host, port: where credentials belong (a redirect elsewhere drops them)."""

    __slots__ = ()

    @property
    def bracketed_host(self) -> str:
        """The host as a URL or request line writes it: an IPv6 address in brackets."""
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def netloc(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = self.bracketed_host
        return host if self.port == default else f"{host}:{self.port}"


def remaining(deadline: float) -> float:
    return deadline - time.monotonic()


def _size(text: str | bytes, base: int, what: str) -> int:
    """A length from the peer: digits only (no sign, space or underscore), else Broken."""
    digits = text.decode("latin-1") if isinstance(text, bytes) else text
    try:
        if not digits.isalnum():
            raise ValueError(digits)
        return int(digits, base)
    except ValueError:
        raise Broken(f"a malformed {what}") from None


class Connection:
    """A socket to one origin, reused while the peer keeps it open."""

    def __init__(self, origin: Origin, tls_context: Any = None, proxy: Any = None):
        self.origin = origin
        self.tls_context = tls_context
        self.proxy = proxy      # a proxies.Proxy: plain http through it, https tunnelled
        self.sock: Any = None
        self.buffer = bytearray()

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None
                self.buffer.clear()

    def _stale(self) -> bool:
        """True when the peer closed (or spoke out of turn on) an idle connection."""
        try:
            readable, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable) or bool(self.buffer)

    def _connect(self, deadline: float, connect_timeout: float) -> None:
        budget = min(connect_timeout, remaining(deadline))
        if budget <= 0:
            raise Expired("before connecting", sent=False)
        host, port = (self.proxy.host, self.proxy.port) if self.proxy else self.origin[1:]
        try:                                 # ASCII as bytes: no idna codec to import
            sock = socket.create_connection(
                (host.encode("ascii") if host.isascii() else host, port), budget)
        except socket.gaierror as exc:
            raise Unresolved(exc.strerror or str(exc)) from None
        except TimeoutError:
            if remaining(deadline) > 0:      # the connect timeout, not the call's deadline
                raise NotSent(f"no connection within {budget:g}s") from None
            raise Expired("while connecting", sent=False) from None
        except OSError as exc:
            raise NotSent(exc.strerror or type(exc).__name__) from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        if self.tls_context is not None:
            try:
                if self.proxy is not None:
                    self._tunnel(deadline)
                self.sock = self._handshake(sock, deadline)
            except BaseException:
                self.close()
                raise

    def _tunnel(self, deadline: float) -> None:
        """CONNECT through the proxy to the origin. Nothing of the request has left yet,
        so any failure here is NotSent (or Expired before sending)."""
        target = f"{self.origin.bracketed_host}:{self.origin.port}"
        lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
        if self.proxy.authorization:
            lines.append(f"Proxy-Authorization: {self.proxy.authorization}")
        try:
            self._send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), deadline)
            status, reason, _ = self._head(deadline)
        except Expired:
            raise Expired("while opening a tunnel through the proxy", sent=False) from None
        except WireError as exc:
            raise NotSent(f"no tunnel through the proxy: {exc}") from None
        if not 200 <= status < 300:
            raise NotSent(f"the proxy refused the tunnel (HTTP {status} {reason})")
        self.buffer.clear()

    def _handshake(self, sock: socket.socket, deadline: float) -> Any:
        import ssl

        sock.settimeout(max(remaining(deadline), 0.001))
        try:
            return self.tls_context.wrap_socket(sock, server_hostname=self.origin.host)
        except ssl.SSLCertVerificationError as exc:
            sock.close()
            raise TlsFailure(f"certificate verification failed: {exc.verify_message or exc}",
                             verify=True) from None
        except ssl.SSLError as exc:
            sock.close()
            raise TlsFailure(f"TLS handshake failed: {exc.reason or exc}", verify=False) from None
        except TimeoutError:
            sock.close()
            raise Expired("during the TLS handshake", sent=False) from None
        except OSError as exc:
            sock.close()
            raise NotSent(f"TLS handshake failed: {exc.strerror or exc}") from None

    def post(self, path: str, headers: dict[str, str], body: bytes, deadline: float,
             connect_timeout: float) -> Response:
        """Send one POST and read its whole response before `deadline`."""
        if self.sock is not None and self._stale():
            self.close()
        if self.sock is None:
            self._connect(deadline, connect_timeout)
        through = self.proxy is not None and self.tls_context is None
        target = f"http://{self.origin.netloc}{path}" if through else path   # absolute URI
        lines = [f"POST {target} HTTP/1.1", f"Host: {self.origin.netloc}",
                 f"Content-Length: {len(body)}"]
        if through and self.proxy.authorization:
            lines.append(f"Proxy-Authorization: {self.proxy.authorization}")
        lines += [f"{name}: {value}" for name, value in headers.items()]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        try:
            self._send(request, deadline)
            response = self._read_response(deadline)
        except BaseException:
            self.close()
            raise
        if response.headers.get("connection", "").lower() == "close":
            self.close()
        return response

    def _send(self, data: bytes, deadline: float) -> None:
        left = remaining(deadline)
        if left <= 0:
            raise Expired("before sending", sent=False)
        self.sock.settimeout(left)
        try:
            self.sock.sendall(data)
        except TimeoutError:
            raise Expired("while sending", sent=True) from None
        except OSError as exc:
            raise Broken(f"connection lost while sending: {exc.strerror or exc}") from None

    # -- reading ---------------------------------------------------------------------
    def _fill(self, deadline: float) -> None:
        """Append what has arrived to the buffer."""
        self.buffer += self._receive(deadline, self.sock.recv, CHUNK)

    def _fill_into(self, view: memoryview, deadline: float) -> int:
        """Write what has arrived into `view`; the number of bytes written."""
        return self._receive(deadline, self.sock.recv_into, view)

    def _receive(self, deadline: float, receive: Any, into: Any) -> Any:
        left = remaining(deadline)
        if left <= 0:
            raise Expired("while receiving", sent=True)
        self.sock.settimeout(left)
        try:
            got = receive(into)
        except TimeoutError:
            raise Expired("while receiving", sent=True) from None
        except OSError as exc:
            raise Broken(f"connection lost: {exc.strerror or exc}") from None
        if not got:
            raise Broken("the connection closed without a complete answer")
        return got

    def _line(self, deadline: float) -> bytes:
        while True:
            end = self.buffer.find(b"\n")
            if end >= 0:
                line = bytes(self.buffer[:end + 1])
                del self.buffer[:end + 1]
                return line.rstrip(b"\r\n")
            if len(self.buffer) > MAX_LINE:
                raise Broken("an HTTP header line is too long")
            self._fill(deadline)

    def _exact(self, size: int, deadline: float) -> bytes | bytearray:
        """The next `size` bytes. A large body is received straight into one block
        (60 MB for 100,000 tasks), not gathered and then copied: every copy that large
        costs, as the allocator maps blocks over 32 MB afresh. A size past TRUSTED_SIZE
        is not taken on trust: the block then grows only as data arrives."""
        if size - len(self.buffer) <= CHUNK:       # small: through the buffer
            while len(self.buffer) < size:
                self._fill(deadline)
            data = bytes(self.buffer[:size])
            del self.buffer[:size]
            return data
        have = len(self.buffer)
        body = bytearray(min(size, max(have, TRUSTED_SIZE)))   # one block, no temporary
        body[:have] = self.buffer
        self.buffer.clear()
        while have < size:
            if have == len(body):
                body += bytes(min(size - have, len(body)))     # doubles, never past size
            with memoryview(body) as view, view[have:] as rest:
                have += self._fill_into(rest, deadline)
        return body

    def _head(self, deadline: float) -> tuple[int, str, dict[str, str]]:
        while True:
            parts = self._line(deadline).decode("latin-1").split(" ", 2)
            if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
                raise Broken(f"not an HTTP response: {' '.join(parts)[:80]!r}")
            headers: dict[str, str] = {}
            while line := self._line(deadline):
                if len(headers) >= MAX_HEADERS:
                    raise Broken("too many HTTP headers")
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            status = int(parts[1])
            if status >= 200:
                return status, parts[2] if len(parts) > 2 else "", headers

    def _read_response(self, deadline: float) -> Response:
        status, reason, headers = self._head(deadline)
        if status in (204, 304):
            body = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._chunked(deadline)
        elif "content-length" in headers:
            body = self._exact(_size(headers["content-length"], 10, "Content-Length header"),
                               deadline)
        else:
            body = self._until_close(deadline)
        return Response(status, reason, headers, body)

    def _chunked(self, deadline: float) -> bytearray:
        out = bytearray()
        while True:
            size = _size(self._line(deadline).split(b";")[0].strip(), 16, "chunk size")
            if size == 0:
                while self._line(deadline):      # trailers
                    pass
                return out
            out += self._exact(size, deadline)
            self._line(deadline)

    def _until_close(self, deadline: float) -> bytes:
        while True:
            try:
                self._fill(deadline)
            except Broken:
                data = bytes(self.buffer)
                self.close()
                return data
