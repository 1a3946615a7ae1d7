"""Scheduler URLs taken apart: the one place the client splits an http(s) URL.

Every command that talks to a scheduler needs the scheme, host, port and path of
one URL. `urllib.parse` answers that too, but importing it (its six result
classes and `ipaddress`) costs about 2 ms, a tenth of what a command spends above
the interpreter and the libraries the architecture puts on every path. So this
module splits an absolute URL the way `urllib.parse.urlsplit` does (the same
parts, the same `ValueError`s for a bad port or bracket), and leaves the rare
work to `urllib.parse`, imported then: resolving a relative redirect and
percent-decoding user info.
"""

from __future__ import annotations

# What urlsplit strips around a URL and removes inside it (WHATWG URL parsing).
_STRIP = "".join(map(chr, range(0x21)))
_REMOVE = ("\t", "\r", "\n")
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.")


class Url:
    """The parts of a URL, as `urlsplit` names them (`netloc` whole, `hostname`
    lowercased without brackets, `port` an int or None)."""

    __slots__ = ("scheme", "netloc", "path", "query", "fragment")

    def __init__(self, scheme: str, netloc: str, path: str, query: str, fragment: str):
        self.scheme = scheme
        self.netloc = netloc
        self.path = path
        self.query = query
        self.fragment = fragment

    @property
    def userinfo(self) -> str | None:
        return self.netloc.rpartition("@")[0] if "@" in self.netloc else None

    @property
    def username(self) -> str | None:
        info = self.userinfo
        return None if info is None else info.partition(":")[0]

    @property
    def password(self) -> str | None:
        info = self.userinfo
        return info.partition(":")[2] if info is not None and ":" in info else None

    def _host_and_port(self) -> tuple[str, str]:
        hostport = self.netloc.rpartition("@")[2]
        if hostport.startswith("["):
            host, _, rest = hostport[1:].partition("]")
            return host, rest.partition(":")[2]
        host, _, port = hostport.partition(":")
        return host, port

    @property
    def hostname(self) -> str | None:
        host = self._host_and_port()[0]
        return host.lower() if host else None

    @property
    def port(self) -> int | None:
        """The port, None when absent; `ValueError` when it is not one (as urlsplit)."""
        text = self._host_and_port()[1]
        if not text:
            return None
        if not (text.isascii() and text.isdigit()) or int(text) > 65535:
            raise ValueError(f"Port could not be cast to integer value as {text!r}")
        return int(text)

    def with_netloc(self, netloc: str) -> Url:
        return Url(self.scheme, netloc, self.path, self.query, self.fragment)

    def target(self) -> str:
        """What an HTTP request line names: the path (at least `/`) and query."""
        return (self.path or "/") + (f"?{self.query}" if self.query else "")

    def geturl(self) -> str:
        url = f"{self.scheme}:" if self.scheme else ""
        if self.netloc or self.scheme in ("http", "https"):
            url += f"//{self.netloc}"
        url += self.path
        if self.query:
            url += f"?{self.query}"
        if self.fragment:
            url += f"#{self.fragment}"
        return url


def split(url: str) -> Url:
    """`url` in parts, as `urllib.parse.urlsplit(url)` gives them."""
    url = url.lstrip(_STRIP)
    for char in _REMOVE:
        url = url.replace(char, "")
    scheme = ""
    head, colon, rest = url.partition(":")
    if colon and head and head[0].isascii() and head[0].isalpha() \
            and _SCHEME_CHARS.issuperset(head):
        scheme, url = head.lower(), rest
    netloc = ""
    if url.startswith("//"):
        end = min((i for i in (url.find(c, 2) for c in "/?#") if i >= 0), default=len(url))
        netloc, url = url[2:end], url[end:]
        if ("[" in netloc) != ("]" in netloc):
            raise ValueError("Invalid IPv6 URL")
    url, _, fragment = url.partition("#")
    path, _, query = url.partition("?")
    return Url(scheme, netloc, path, query, fragment)


def child(base: str, name: str) -> str:
    """`http://host:8081` + `api` -> `http://host:8081/api`; a base path is kept
    (`http://host/aurora/` -> `http://host/aurora/api`), its query dropped."""
    parts = split(base)
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return Url(parts.scheme, parts.netloc, path + name, "", "").geturl()


def basic_authorization(parts: Url) -> str | None:
    """`Basic ...` from the user info of `parts` (percent-decoded, as python requests
    does for a scheduler or a proxy URL), None without user info."""
    if parts.username is None:
        return None
    import base64

    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    return "Basic " + base64.b64encode(pair.encode()).decode("ascii")


def join(url: str, reference: str) -> str:
    """`reference` (a redirect's Location, perhaps relative) resolved against `url`."""
    from urllib.parse import urljoin

    return urljoin(url, reference)


def unquote(text: str) -> str:
    """Percent-decoding, for the user info of a URL."""
    from urllib.parse import unquote as _unquote

    return _unquote(text)
