"""HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY, read as upstream's HTTP library
(python requests, which asks urllib) reads them.

* A proxy is chosen by the scheduler URL's scheme (`http_proxy`, `https_proxy`),
  else `all_proxy`; a lower-case variable wins over its upper-case twin, an empty
  lower-case one unsets it, and `HTTP_PROXY` is ignored when `REQUEST_METHOD` says
  the process runs as a CGI script (httpoxy).
* `NO_PROXY` is a comma list: `*` bypasses every proxy; an IP address is matched
  exactly or by CIDR block (`10.0.0.0/8`); any other entry matches as a suffix of
  the host (or of `host:port`), a leading dot changing nothing.
* A proxy URL without a scheme is an http:// one. Its user info becomes a
  `Proxy-Authorization: Basic` header.

A plain-http URL is sent to the proxy as an absolute URI; an https one goes
through a CONNECT tunnel (`httpwire.Connection`). Only http:// proxies are
spoken to; any other proxy scheme is exit 3 naming the variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from aurora.api.urls import Url, basic_authorization, split
from aurora.errors import ConfigurationError


class Proxy:
    """The proxy one URL goes through: where it is, the variable that named it, and
    the Proxy-Authorization header its user info gives (or None)."""

    __slots__ = ("host", "port", "variable", "authorization", "shown")

    def __init__(self, host: str, port: int, variable: str, authorization: str | None,
                 shown: str):
        self.host, self.port, self.variable = host, port, variable
        self.authorization, self.shown = authorization, shown

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Proxy) and (self.host, self.port, self.authorization) == \
            (other.host, other.port, other.authorization)

    def __hash__(self) -> int:
        return hash((self.host, self.port))


def _variables(environ: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """scheme -> (proxy URL, variable name), upper case first, then lower case over it."""
    found: dict[str, tuple[str, str]] = {}
    for name, value in environ.items():
        if value and name.lower().endswith("_proxy"):
            found[name.lower()[:-6]] = (value, name)
    if "REQUEST_METHOD" in environ:
        found.pop("http", None)
    for name, value in environ.items():
        if name.endswith("_proxy") and name == name.lower():
            if value:
                found[name[:-6]] = (value, name)
            else:
                found.pop(name[:-6], None)
    return found


def bypassed(host: str, port: int | None, no_proxy: str) -> bool:
    """Whether NO_PROXY's list `no_proxy` names `host` (see the module's docstring)."""
    entries = [e for e in no_proxy.replace(" ", "").split(",") if e]
    host = host.lower()
    if "*" in entries:
        return True
    with_port = f"{host}:{port}" if port else host
    if _is_ipv4(host):
        if any(_in_block(host, e) if "/" in e else host == e for e in entries):
            return True
    elif any(host.endswith(e.lower()) or with_port.endswith(e.lower()) for e in entries):
        return True
    for entry in entries:           # urllib's own rule, which requests also applies
        name = entry.lstrip(".").lower()
        if name and (host == name or host.endswith("." + name)):
            return True
    return False


def _is_ipv4(host: str) -> bool:
    parts = host.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)


def _in_block(host: str, block: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(block, strict=False)
    except ValueError:
        return False


def proxy_for(url: str, environ: Mapping[str, str] | None = None) -> Proxy | None:
    """The proxy requests would send `url` through, or None to go direct."""
    environ = os.environ if environ is None else environ
    if not any(name.lower().endswith("_proxy") for name in environ):
        return None                 # the common case, without parsing anything
    parts = split(url)
    if not parts.hostname:
        return None
    no_proxy = environ.get("no_proxy") or environ.get("NO_PROXY") or ""
    if no_proxy and bypassed(parts.hostname, parts.port, no_proxy):
        return None
    variables = _variables(environ)
    chosen = variables.get(parts.scheme) or variables.get("all")
    return None if chosen is None else _parse(*chosen)


def _parse(value: str, variable: str) -> Proxy:
    text = value if "://" in value else f"http://{value}"
    parts = split(text)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme.lower() != "http" or not parts.hostname or port == -1:
        raise ConfigurationError(
            f"{variable} is {_redacted(parts)!r}: only an http:// proxy with a host (and "
            "port) can be used", hint=f"set {variable} to http://HOST:PORT, or unset it")
    return Proxy(parts.hostname, port or 80, variable, basic_authorization(parts),
                 _redacted(parts))


def _redacted(parts: Url) -> str:
    """The proxy URL without its password, for messages."""
    user = f"{parts.username}:***@" if parts.username else ""
    return f"{parts.scheme}://{user}{parts.netloc.rpartition('@')[2]}"
