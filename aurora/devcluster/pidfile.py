"""Which devcluster runs where: its pid file, and the process serving a port.

Stdlib only and free of side effects, because the client reads it too: to tell
the user, for the built-in devcluster only, which state directory the
devcluster it uses belongs to (docs/devcluster.md).
"""

from __future__ import annotations

import json
import os
from typing import Any

DEFAULT_PORT = 8081


def pid_file(state_dir: str, port: int | None = None) -> str:
    """One pid file per state dir; per port when several share it through ZooKeeper."""
    return os.path.join(state_dir, f"devcluster-{port}.pid" if port else "devcluster.pid")


def process_start(pid: int) -> int | None:
    """When process `pid` started (clock ticks since boot), or None when it is gone or a
    zombie: with the pid, it names one process for the machine's uptime."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] in ("Z", "X") else int(fields[19])


def _command_line(pid: int | str) -> list[bytes] | None:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return None


def _devcluster_arguments(argv: list[bytes]) -> list[bytes] | None:
    """The arguments after the program when `argv` runs the devcluster, else None."""
    for index, arg in enumerate(argv):
        if arg == b"aurora.devcluster" or arg.endswith(b"aurora-devcluster"):
            return argv[index + 1:]
    return None


def is_devcluster(info: dict[str, Any]) -> bool:
    """True when the pid file's process is still that devcluster: same pid, same start
    time, and a command line that runs it; a reused pid or a zombie is not."""
    pid = int(info["pid"])
    started = process_start(pid)
    if started is None or ("started" in info and info["started"] != started):
        return False
    argv = _command_line(pid)
    return argv is not None and _devcluster_arguments(argv) is not None


def read_pid_info(state_dir: str, port: int | None = None) -> dict[str, Any] | None:
    """The running scheduler's pid file contents, or None when none runs (a pid file
    naming a dead, zombie or unrelated process is stale and ignored)."""
    for path in ([pid_file(state_dir, port)] if port else []) + [pid_file(state_dir)]:
        try:
            with open(path) as f:
                info = json.load(f)
            if not is_devcluster(info) or (port and info.get("port") != port):
                continue
            return info
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return None


def url_of(info: dict[str, Any]) -> str:
    host = info["bind"] if info["bind"] not in ("0.0.0.0", "::") else "127.0.0.1"
    return f"http://{host}:{info['port']}"


def _option(args: list[str], name: str) -> str | None:
    for index, arg in enumerate(args):
        if arg == name and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith(name + "="):
            return arg.partition("=")[2]
    return None


def serving(port: int) -> dict[str, Any] | None:
    """The devcluster process serving `port` on this machine, whoever runs it: its pid,
    user id and state dir (None when its command line does not say: that user's
    default), read from /proc; None when no `aurora-devcluster run` claims the port."""
    try:
        pids = [name for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return None
    for pid in pids:
        argv = _command_line(pid)
        rest = _devcluster_arguments(argv) if argv else None
        if rest is None:
            continue
        args = [a.decode("utf-8", "replace") for a in rest if a]
        if "run" not in args or str(port) != (_option(args, "--port") or str(DEFAULT_PORT)):
            continue
        try:
            uid = os.stat(f"/proc/{pid}").st_uid
        except OSError:
            continue
        return {"pid": int(pid), "uid": uid, "state_dir": _option(args, "--state-dir")}
    return None
