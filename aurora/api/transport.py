"""Thrift over HTTP, as the scheduler expects it: one POST per call to `<uri>/api`.

Binary protocol both ways (`application/vnd.apache.thrift.binary` as
Content-Type and Accept), one kept-alive connection per client, separate
connect and read timeouts, TLS verified by default. thriftpy2's own HTTP client
is not used: it hard-codes the JSON content type, ignores HTTP status codes and
sets timeouts process-wide.
"""

from __future__ import annotations

import http.client
import io
import socket
import sys
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from aurora import __version__
from aurora.errors import AuthError, NetworkError, SchedulerTimeout

THRIFT_BINARY = "application/vnd.apache.thrift.binary"
USER_AGENT = f"aurora-client-v2/{__version__}"
MAX_REDIRECTS = 5


class TransientHttpError(NetworkError):
    """HTTP 502/503/504: the scheduler may answer if asked again."""


class ConnectFailed(NetworkError):
    """No connection was made, so the request was never sent: safe to retry any call."""


@dataclass
class HttpOptions:
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    ca_bundle: str | None = None
    verify_tls: bool = True
    follow_redirects: bool = True
    headers: dict[str, str] = field(default_factory=dict)


def api_url(base: str) -> str:
    """`http://host:8081` -> `http://host:8081/api`; keeps a base path (fixes §12.30)."""
    return urljoin(base if base.endswith("/") else base + "/", "api")


class HttpTransport:
    """The bottom of the thrift stack: buffers writes and POSTs them on flush."""

    def __init__(self, url: str, options: HttpOptions):
        self.url = url
        self.options = options
        self._conn: http.client.HTTPConnection | None = None
        self._conn_key: tuple[str, str, int] | None = None
        self._wbuf: list[bytes] = []
        self._rbuf = io.BytesIO()

    # thriftpy2 transport interface ---------------------------------------------
    def is_open(self) -> bool:
        return True

    def open(self) -> None:
        pass

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def write(self, data: bytes) -> None:
        self._wbuf.append(data)

    def read(self, size: int) -> bytes:
        return self._rbuf.read(size)

    def flush(self) -> None:
        body = b"".join(self._wbuf)
        self._wbuf = []
        self._rbuf = io.BytesIO(self.post(body))

    # HTTP ----------------------------------------------------------------------
    def _connection(self, url: str) -> tuple[http.client.HTTPConnection, str]:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise NetworkError(f"scheduler URL '{url}' is not an http(s) URL",
                               hint="check scheduler_uri in clusters.json")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        key = (parts.scheme, parts.hostname, port)
        if self._conn is None or self._conn_key != key:
            self.close()
            if parts.scheme == "https":
                import ssl

                context = ssl.create_default_context(cafile=self.options.ca_bundle)
                if not self.options.verify_tls:
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                    parts.hostname, port, timeout=self.options.connect_timeout, context=context)
            else:
                conn = http.client.HTTPConnection(parts.hostname, port,
                                                  timeout=self.options.connect_timeout)
            self._conn, self._conn_key = conn, key
        path = parts.path or "/"
        return self._conn, path + (f"?{parts.query}" if parts.query else "")

    def _exchange(self, url: str, body: bytes) -> http.client.HTTPResponse:
        headers = {"Content-Type": THRIFT_BINARY, "Accept": THRIFT_BINARY,
                   "User-Agent": USER_AGENT}
        for name, value in self.options.headers.items():   # a callable: fresh per request
            headers[name] = value() if callable(value) else value
        for attempt in (1, 2):
            conn, path = self._connection(url)
            try:
                if conn.sock is None:
                    conn.connect()
                    conn.sock.settimeout(self.options.read_timeout)
                conn.request("POST", path, body=body, headers=headers)
                return conn.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A kept-alive connection the server closed meanwhile: reconnect once.
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def post(self, body: bytes) -> bytes:
        url = self.url
        for _ in range(MAX_REDIRECTS + 1):
            try:
                response = self._exchange(url, body)
                data = response.read()
            except TimeoutError:
                self.close()
                raise SchedulerTimeout(f"no answer from {url} within "
                                       f"{self.options.read_timeout:g}s") from None
            except socket.gaierror as exc:
                self.close()
                raise ConnectFailed(f"cannot resolve the scheduler host of {url}: "
                                   f"{exc.strerror}") from None
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                ssl = sys.modules.get("ssl")   # imported only when https was used
                if ssl is not None and isinstance(exc, ssl.SSLError):
                    raise NetworkError(f"TLS failure talking to {url}: "
                                       f"{exc.reason or exc}",
                                       hint="check the CA bundle (--ca-bundle)") from None
                reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
                error = ConnectFailed if isinstance(exc, ConnectionRefusedError) else NetworkError
                raise error(f"cannot reach the scheduler at {url}: {reason}") from None
            status = response.status
            if status in (307, 308) and self.options.follow_redirects:
                location = response.getheader("Location")
                if not location:
                    raise NetworkError(f"{url} answered {status} without a Location header")
                url = urljoin(url, location)
                continue
            if status == 200:
                return data
            self.close()
            if status in (401, 403):
                raise AuthError(f"the scheduler at {url} refused the request "
                                f"(HTTP {status} {response.reason})",
                                hint="check your credentials for this cluster")
            if status in (502, 503, 504):
                raise TransientHttpError(f"the scheduler at {url} is unavailable "
                                         f"(HTTP {status} {response.reason})")
            raise NetworkError(f"the scheduler at {url} answered HTTP {status} {response.reason}")
        raise NetworkError(f"too many redirects (more than {MAX_REDIRECTS}) starting at "
                           f"{self.url}", hint="the schedulers may disagree about the leader")
