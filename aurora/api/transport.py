"""Thrift over HTTP, as the scheduler expects it: one POST per call to `<uri>/api`.

Binary protocol both ways (`application/vnd.apache.thrift.binary` as
Content-Type and Accept), one kept-alive connection per client, TLS verified by
default, and one deadline for the whole exchange including redirects
(`httpwire` does the bytes). Every failure says whether the request may have
reached the scheduler (`sent`), which is what decides whether a call may be
sent again (see `client.py`).

Credentials stay with their origin: the headers an auth plugin added (and
`Authorization`, from a `scheduler_uri`'s user info or anywhere else) go only to
the scheme, host and port they were configured for; a 307/308 to another origin
is followed without them. A password in a URL is never shown: messages use
`redact()`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aurora import __version__
from aurora.api.urls import basic_authorization, child, join, split
from aurora.errors import AuroraError, AuthError, NetworkError, SchedulerTimeout

THRIFT_BINARY = "application/vnd.apache.thrift.binary"
USER_AGENT = f"aurora-client-v2/{__version__}"
MAX_REDIRECTS = 5
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


class TransportFailure(NetworkError):
    """The exchange failed; `sent` is False only when no byte of the request left."""

    sent = True


class ConnectFailed(TransportFailure):
    """No connection was made, so the request was never sent: safe to retry any call."""

    sent = False


class TlsError(ConnectFailed):
    """The TLS handshake failed (e.g. an unverifiable certificate): asking again won't help."""


class ConnectionLost(TransportFailure):
    """The request went out and no complete response came back."""


class TransientHttpError(TransportFailure):
    """HTTP 502/503/504: the scheduler (or a proxy in front) may answer if asked again."""


class CallTimeout(SchedulerTimeout):
    """The call's deadline passed; `sent` says whether the request may have arrived."""

    def __init__(self, message: str, sent: bool):
        super().__init__(message)
        self.sent = sent


class HttpOptions:
    """How to reach one scheduler over HTTP (a plain class, not a dataclass: see
    "Start-up time" in docs/architecture.md)."""

    def __init__(self, connect_timeout: float = 10.0, timeout: float = 60.0,
                 ca_bundle: str | None = None, headers: dict[str, Any] | None = None,
                 origin_bound: set[str] | None = None):
        self.connect_timeout = connect_timeout  # seconds for one TCP connect (within timeout)
        self.timeout = timeout      # seconds for a whole call: connect, send, receive, retries
        self.ca_bundle = ca_bundle
        self.headers = {} if headers is None else headers   # values may be callables
        self.origin_bound = set() if origin_bound is None else origin_bound  # plugins' headers


def api_url(base: str) -> str:
    """`http://host:8081` -> `http://host:8081/api`; keeps a base path, which upstream loses."""
    return child(base, "api")


def redact(url: str) -> str:
    """`url` without the password of its user info (`http://u:***@host/...`)."""
    parts = split(url)
    if "@" not in parts.netloc:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    netloc = f"{user}:***@{hostport}" if ":" in userinfo else f"{user}@{hostport}"
    return parts.with_netloc(netloc).geturl()


def without_userinfo(url: str) -> str:
    parts = split(url)
    return parts.with_netloc(parts.netloc.rpartition("@")[2]).geturl()


def userinfo_header(url: str) -> str | None:
    """HTTP Basic from `http://user:password@host` (as upstream's HTTP library does)."""
    return basic_authorization(split(url))


def origin_of(url: str) -> Any:
    from aurora.api.httpwire import Origin

    try:
        parts = split(url)
    except ValueError:          # unbalanced IPv6 brackets
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise NetworkError(f"scheduler URL '{redact(url)}' is not an http(s) URL",
                           hint="check scheduler_uri in clusters.json")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise NetworkError(f"scheduler URL '{redact(url)}' has an invalid port",
                           hint="check scheduler_uri in clusters.json") from None
    return Origin(parts.scheme, parts.hostname.lower(), port)


class HttpTransport:
    """POSTs thrift messages to one scheduler URL; follows 307/308 to the leader."""

    def __init__(self, url: str, options: HttpOptions,
                 trace: Callable[[str], None] | None = None):
        self.url = without_userinfo(url)
        self.trace = trace                  # -v: redirects followed, proxies used
        self.answered_by: str | None = None  # the URL that answered the last call (shown)
        self.shown = redact(url)
        self.options = options
        self.origin = origin_of(url)
        self._userinfo = userinfo_header(url)
        self._conn: Any = None
        self._leader: str | None = None     # where a redirect led; asked first next time
        self._recalled = False              # _leader not yet looked up in the user's cache

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self, origin: Any, url: str) -> Any:
        """The kept-alive connection to `origin`, direct or through the proxy the
        environment names for `url` (`proxies.py`)."""
        from aurora.api.httpwire import Connection
        from aurora.api.proxies import proxy_for

        proxy = proxy_for(url)
        if self._conn is None or self._conn.origin != origin or self._conn.proxy != proxy:
            self.close()
            self._conn = Connection(origin, self._tls_context() if origin.scheme == "https"
                                    else None, proxy)
            if proxy is not None and self.trace is not None:
                how = "a CONNECT tunnel" if origin.scheme == "https" else "absolute URIs"
                self.trace(f"{redact(url)} goes through the proxy {proxy.shown} "
                           f"({proxy.variable}, {how})")
        return self._conn

    def _tls_context(self) -> Any:
        import ssl  # only for https: plain-http commands never pay for it

        return ssl.create_default_context(cafile=self.options.ca_bundle)

    def headers_for(self, origin: Any) -> dict[str, str]:
        """Request headers for `origin`: credentials only when it is the configured one."""
        headers = {"Content-Type": THRIFT_BINARY, "Accept": THRIFT_BINARY,
                   "User-Agent": USER_AGENT}
        home = origin == self.origin
        bound = {name.lower() for name in self.options.origin_bound} | CREDENTIAL_HEADERS
        for name, value in self.options.headers.items():
            if home or name.lower() not in bound:
                headers[name] = value() if callable(value) else value   # fresh per request
        if home and self._userinfo and not any(n.lower() == "authorization" for n in headers):
            headers["Authorization"] = self._userinfo
        return headers

    def post(self, body: bytes, deadline: float) -> bytes | bytearray:
        """One thrift message out, its reply back, within `deadline` (time.monotonic).

        A leader that a redirect led to is asked first by the next calls (on the same
        kept-alive connection): behind a redirecting front a command pays the extra
        round trip once, not once per call. A remembered leader that takes no connection
        is forgotten and the configured URL asked again; nothing was sent to it."""
        self.answered_by = None
        if not self._recalled:
            from aurora.api import leaders

            self._recalled, self._leader = True, leaders.recall(self.url)
        if self._leader is not None:
            try:
                return self._post_from(self._leader, body, deadline)
            except ConnectFailed as exc:
                self._learn(None)
                if exc.sent:
                    raise
            except AuroraError:
                self._learn(None)           # it stopped answering: ask the front next time
                raise
        return self._post_from(self.url, body, deadline)

    def _learn(self, leader: str | None) -> None:
        """Ask `leader` first from now on (None: the configured URL), in later commands
        too (`leaders.py`)."""
        if leader != self._leader:
            from aurora.api import leaders

            leaders.remember(self.url, leader)
        self._leader = leader

    def _post_from(self, url: str, body: bytes, deadline: float) -> bytes | bytearray:
        sent = False
        for _ in range(MAX_REDIRECTS + 1):
            origin = origin_of(url)
            path = split(url).target()
            response = self._exchange(origin, path, body, deadline, url, sent)
            self.answered_by = redact(url)
            sent = True
            if response.status in (307, 308):
                location = response.headers.get("location")
                if not location:
                    raise ConnectionLost(f"{redact(url)} answered {response.status} without "
                                         "a Location header")
                url = without_userinfo(join(url, location))
                if self.trace is not None:
                    self.trace(f"{self.answered_by} answered "
                               f"{response.status}: following it to {redact(url)}")
                continue
            if response.status == 200:
                self._learn(url if url != self.url else None)
                return response.body
            proxy = self._conn.proxy if self._conn is not None else None
            self.close()
            self._learn(None)
            if response.status == 407 and proxy is not None:
                raise AuthError(f"the proxy {proxy.shown} ({proxy.variable}) refused the request "
                                f"to {redact(url)} (HTTP 407): it wants credentials",
                                hint=f"set {proxy.variable} to http://USER:PASSWORD@HOST:PORT")
            raise self._status_error(redact(url), response)
        raise ConnectionLost(f"too many redirects (more than {MAX_REDIRECTS}) starting at "
                             f"{self.shown}", hint="the schedulers may disagree about the leader")

    def _exchange(self, origin: Any, path: str, body: bytes, deadline: float, url: str,
                  sent_before: bool) -> Any:
        from aurora.api.httpwire import Expired, NotSent, TlsFailure, WireError

        shown = redact(url)
        connection = self._connection(origin, url)
        try:
            return connection.post(path, self.headers_for(origin), body, deadline,
                                   self.options.connect_timeout)
        except TlsFailure as exc:
            self.close()
            raise TlsError(f"TLS failure talking to {shown}: {exc}",
                           hint="check the CA bundle (--ca-bundle)" if exc.verify else None
                           ) from None
        except Expired as exc:
            self.close()
            raise CallTimeout(f"no answer from {shown} within {self.options.timeout:g}s "
                              f"(timed out {exc})",
                              sent=exc.sent or sent_before) from None
        except NotSent as exc:
            self.close()
            error = self._not_sent(exc, shown, connection.proxy)
            error.sent = sent_before          # a redirect target refusing: the first hop got it
            raise error from None
        except WireError as exc:
            self.close()
            raise ConnectionLost(f"lost the connection to the scheduler at {shown}: "
                                 f"{exc}") from None

    @staticmethod
    def _not_sent(exc: Exception, shown: str, proxy: Any) -> ConnectFailed:
        """No connection: the scheduler's host did not resolve, did not answer, or the
        proxy in between (named with its variable) did not let us through."""
        from aurora.api.httpwire import Unresolved

        if proxy is not None:
            return ConnectFailed(f"cannot reach the scheduler at {shown} through the proxy "
                                 f"{proxy.shown} ({proxy.variable}): {exc}",
                                 hint=f"check {proxy.variable}, or add the scheduler's host "
                                      "to NO_PROXY to reach it directly")
        if isinstance(exc, Unresolved):
            return ConnectFailed(f"cannot resolve the scheduler host of {shown}: {exc}")
        return ConnectFailed(f"cannot reach the scheduler at {shown}: {exc}")

    @staticmethod
    def _status_error(shown: str, response: Any) -> NetworkError:
        from aurora.api.codec import printable

        status, reason = response.status, printable(response.reason)
        if status in (401, 403):
            return AuthError(f"the scheduler at {shown} refused the request (HTTP {status} "
                             f"{reason})", hint="check your credentials for this cluster")
        if status in (502, 503, 504):
            return TransientHttpError(f"the scheduler at {shown} is unavailable "
                                      f"(HTTP {status} {reason})")
        error = TransportFailure(f"the scheduler at {shown} answered HTTP {status} {reason}")
        error.sent = True
        return error
