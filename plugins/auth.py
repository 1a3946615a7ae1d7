"""Authentication to the scheduler, per cluster (`auth_mechanism` in clusters.json).

* `UNAUTHENTICATED` (the default): no credentials of our own, but a `~/.netrc`
  entry for the scheduler's host is sent as HTTP Basic, as the upstream client
  (through its HTTP library) does.
* `BASIC`: HTTP Basic from `~/.netrc`, or asked for on a terminal (the
  password is never echoed); without either, a clear error (exit 30).
* `KERBEROS`: SPNEGO (`Authorization: Negotiate ...`) for `HTTP@<host>` from
  the user's credential cache, through the optional `kerberos` extra.

Credentials only ever go into the request headers: never into messages, logs
or saved tracebacks.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from aurora.api.urls import split
from aurora.errors import AuthError, ConfigurationError
from aurora.hookspecs import hookimpl
from aurora.output import emit_err, stderr_is_tty

MECHANISMS = ("UNAUTHENTICATED", "BASIC", "KERBEROS")
KERBEROS_EXTRA = "pip install 'aurora-client-v2[kerberos]'"


def netrc_credentials(host: str) -> tuple[str, str] | None:
    """(login, password) for `host` from $NETRC or ~/.netrc, if there is an entry."""
    path = os.environ.get("NETRC") or os.path.join(os.path.expanduser("~"), ".netrc")
    if not os.path.isfile(path):
        return None
    import netrc

    try:
        entry = netrc.netrc(path).authenticators(host)
    except (netrc.NetrcParseError, OSError) as exc:
        why = (f"bad syntax at line {exc.lineno}" if isinstance(exc, netrc.NetrcParseError)
               else exc.strerror or type(exc).__name__)     # never the text: it may be a secret
        raise ConfigurationError(f"cannot read {path}: {why}",
                                 hint="fix the file's syntax or permissions") from None
    if not entry or entry[2] is None:
        return None
    return entry[0] or "", entry[2]


def basic_header(login: str, password: str) -> str:
    import base64

    token = base64.b64encode(f"{login}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def prompt_credentials(cluster_name: str, host: str) -> tuple[str, str] | None:
    """Ask on the terminal (password not echoed); None when there is no terminal."""
    if not (sys.stdin.isatty() and stderr_is_tty()):
        return None
    import getpass

    emit_err(f"Credentials for cluster {cluster_name} ({host})")
    login = input("User: ")
    return login, getpass.getpass("Password: ")


def kerberos_header(host: str) -> str:
    try:
        import spnego  # type: ignore[import-not-found]
    except ImportError:
        raise AuthError("KERBEROS authentication needs the kerberos extra, which is not "
                        "installed", hint=f"install it with: {KERBEROS_EXTRA}") from None
    try:
        context = spnego.client(hostname=host, service="HTTP", protocol="negotiate")
        token = context.step()
    except Exception as exc:  # noqa: BLE001 - any GSSAPI failure: the same advice
        raise AuthError(f"could not get a Kerberos ticket for HTTP@{host} "
                        f"({type(exc).__name__})",
                        hint='Communication with Aurora scheduler is kerberized. Did you '
                             'forget to run "kinit"?') from None
    import base64

    return "Negotiate " + base64.b64encode(token).decode("ascii")


@hookimpl
def prepare_request(context: Any, cluster: Any, url: str, headers: dict[str, str]) -> None:
    mechanism = str(cluster.get("auth_mechanism") or "UNAUTHENTICATED").upper()
    host = split(url).hostname or ""
    if mechanism not in MECHANISMS:
        raise ConfigurationError(f"cluster {cluster.name} has unknown auth_mechanism "
                                 f"'{mechanism}'", hint=f"use one of {', '.join(MECHANISMS)}")
    if "Authorization" in headers:
        return                      # a site plugin has already taken care of it
    if mechanism == "KERBEROS":
        kerberos_header(host)               # fail now, clearly, when there is no ticket
        headers["Authorization"] = lambda: kerberos_header(host)   # a fresh token per call
        return
    credentials = netrc_credentials(host)
    if credentials is None and mechanism == "BASIC":
        credentials = prompt_credentials(cluster.name, host)
        if credentials is None:
            raise AuthError(f"cluster {cluster.name} needs a user and password and none was "
                            f"found for {host}",
                            hint=f"add 'machine {host} login USER password PASSWORD' to "
                                 "~/.netrc, or run the command on a terminal")
    if credentials is not None:
        headers["Authorization"] = basic_header(*credentials)
