"""Find and kill every process a task started, daemons that left its session included.

Process groups miss a daemon that double-forked and called setsid(). The runner
therefore starts each process with the marker variable `AURORA_TASK_ID` in its
environment; children inherit it, so scanning `/proc/*/environ` for the task's
marker finds its whole family, however far it wandered, as the executor finds
the orphans it adopted.
"""

from __future__ import annotations

import os
import signal
import time

MARKER = "AURORA_TASK_ID"


def marked_pids(task_id: str) -> list[int]:
    """Live processes of this user whose environment carries the task's marker."""
    needle = f"{MARKER}={task_id}".encode() + b"\0"
    found = []
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                environ = f.read() + b"\0"
        except OSError:
            continue
        if b"\0" + needle in b"\0" + environ:
            found.append(int(entry))
    return found


def kill_marked(task_id: str, grace: float = 0.0) -> None:
    """SIGTERM the task's processes, wait up to `grace` seconds, then SIGKILL the rest."""
    if not task_id or not os.path.isdir("/proc"):
        return
    sig = signal.SIGTERM if grace > 0 else signal.SIGKILL
    pids = signal_all(marked_pids(task_id), sig)
    deadline = time.monotonic() + grace
    while pids and time.monotonic() < deadline:
        time.sleep(0.05)
        pids = [p for p in pids if alive(p)]
    signal_all(marked_pids(task_id), signal.SIGKILL)


def signal_all(pids: list[int], sig: int) -> list[int]:
    sent = []
    for pid in pids:
        try:
            os.kill(pid, sig)
            sent.append(pid)
        except (ProcessLookupError, PermissionError):
            pass
    return sent


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False
