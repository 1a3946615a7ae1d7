"""Reach a scheduler through `ssh -L` for the duration of one command.

`--tunnel [user@]HOST[:PORT]` (or `tunnel_host` in the cluster's entry of
clusters.json) starts `ssh -N -L 127.0.0.1:<free port>:<scheduler host>:<port>`
through HOST and points the scheduler client at the local end. The tunnel is a
context service, so it is torn down when the command ends, whatever the
outcome (errors, Ctrl-C). Extra ssh options (an identity file, say) come from
`[plugin.tunnel] ssh_options = "..."` in client.toml.
"""

from __future__ import annotations

import socket
import time
from typing import Any

from aurora.api.urls import split
from aurora.command import CommandOption
from aurora.connect import free_port
from aurora.errors import InvalidParameter, NetworkError
from aurora.hookspecs import hookimpl

READY_TIMEOUT = 15.0


def split_host(spec: str) -> tuple[str, str | None]:
    """`user@host:port` → (`user@host`, port or None)."""
    target, _, port = spec.rpartition(":") if spec.count(":") == 1 else (spec, "", "")
    return (target, port) if port.isdigit() else (spec, None)


class Tunnel:
    """One running `ssh -L`; `close()` stops it."""

    def __init__(self, via: str, remote_host: str, remote_port: int, options: list[str]):
        import subprocess

        target, ssh_port = split_host(via)
        self.local_port = free_port()
        self.command = ["ssh", "-N", "-o", "ExitOnForwardFailure=yes", "-o", "BatchMode=yes",
                        *(["-p", ssh_port] if ssh_port else []), *options,
                        "-L", f"127.0.0.1:{self.local_port}:{remote_host}:{remote_port}",
                        target]
        try:
            self.process = subprocess.Popen(self.command, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                            start_new_session=True)
        except OSError as exc:
            raise NetworkError(f"cannot start ssh for the tunnel through {via}: {exc.strerror}",
                               hint="install the OpenSSH client") from None
        self.via = via
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                detail = (self.process.stderr.read() or b"").decode(errors="replace").strip()
                last = detail.splitlines()[-1] if detail else f"exit {self.process.returncode}"
                raise NetworkError(f"the ssh tunnel through {self.via} failed: {last}",
                                   hint="check --tunnel and [plugin.tunnel] ssh_options")
            try:
                with socket.create_connection(("127.0.0.1", self.local_port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.close()
        raise NetworkError(f"the ssh tunnel through {self.via} did not open within "
                           f"{READY_TIMEOUT:.0f}s",
                           hint=f"check that ssh reaches {self.via} without asking for a password")

    def close(self) -> None:
        import subprocess

        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()


@hookimpl
def register_options(cli: Any) -> None:
    cli.add_global_option(CommandOption(
        "--tunnel", metavar="[USER@]HOST[:PORT]", default=None,
        help="reach the scheduler through an ssh tunnel via this host"))


@hookimpl
def rewrite_endpoint(context: Any, cluster: Any, url: str) -> str | None:
    via = context.options.tunnel or cluster.get(
        "tunnel_host")
    if not via:
        return None
    if str(via).startswith("-") or any(c.isspace() or c == "\0" for c in str(via)):
        raise InvalidParameter(f"invalid tunnel host '{str(via)[:60]}': it would reach ssh as "
                               "an option or split into several words",
                               hint="use --tunnel [USER@]HOST[:PORT]")
    import shlex

    parts = split(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    options = shlex.split(str(context.settings.for_plugin("tunnel").get("ssh_options", "")))
    tunnel = context.service("tunnel", f"{via}>{parts.hostname}:{port}",
                             lambda: Tunnel(via, parts.hostname or "", port, options))
    if context.verbose:
        context.print_stderr(f"aurora: tunnel 127.0.0.1:{tunnel.local_port} -> "
                             f"{parts.hostname}:{port} via {via}")
    return f"{parts.scheme}://127.0.0.1:{tunnel.local_port}{parts.path}"
