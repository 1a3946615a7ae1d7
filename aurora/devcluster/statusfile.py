"""Reading a runner's status file, which the task's own code can rewrite.

The runner keeps `SANDBOX/.runner/status.json` current, and the scheduler
reads it. When tasks run as another user the sandbox is theirs, so the file
may be anything: a symbolic link to a secret, a FIFO, gigabytes, deep JSON,
or a list of process groups that are not the task's. The scheduler therefore
opens it without following links, reads a bounded amount, keeps only the
fields it knows with the types it expects, and only signals process groups
led by the sandbox owner's processes.
"""

from __future__ import annotations

import os
import stat
from typing import Any

STATUS_LIMIT = 64 * 1024        # bytes; a runner's status is a few hundred
MESSAGE_LIMIT = 1000            # characters of a message kept for the task's event
GROUPS_LIMIT = 1000
RUNNER_STATES = {"RUNNING", "STARTING", "SUCCESS", "FAILED", "KILLED"}


def read_inside(top: str, parts: tuple[str, ...], limit: int) -> tuple[int, bytes]:
    """(owner uid of `top`, the bytes of top/parts...), following no symbolic link on the
    way; ValueError when the file holds more than `limit` bytes or is not a plain file."""
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        owner = os.fstat(fd).st_uid
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            flags = os.O_RDONLY | os.O_NOFOLLOW | (os.O_NONBLOCK if last else os.O_DIRECTORY)
            inner = os.open(part, flags, dir_fd=fd)
            os.close(fd)
            fd = inner
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError("not a regular file")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise ValueError(f"more than {limit} bytes")
        return owner, b"".join(chunks)
    finally:
        os.close(fd)


def checked_status(data: Any, task_id: str, owner: int) -> dict[str, Any]:
    """The fields the scheduler uses, when well-formed and about this task; else {}."""
    if not isinstance(data, dict) or data.get("task_id") != task_id \
            or data.get("state") not in RUNNER_STATES:
        return {}
    status: dict[str, Any] = {"state": data["state"],
                              "never_healthy": data.get("never_healthy") is True}
    message = data.get("message")
    if isinstance(message, str) and message:
        status["message"] = printable(message)[:MESSAGE_LIMIT]
    groups = data.get("groups")
    groups = groups[:GROUPS_LIMIT] if isinstance(groups, list) else []
    status["groups"] = [g for g in groups if type(g) is int and g > 1 and led_by(g, owner)]
    return status


def printable(text: str) -> str:
    return "".join(c if c.isprintable() else " " for c in text)


def led_by(pgid: int, owner: int) -> bool:
    """Whether the group's leader runs as `owner` (always, unless we are root: the kernel
    then already stops us signalling anyone else's processes)."""
    if os.geteuid() != 0:
        return True
    try:
        with open(f"/proc/{pgid}/status") as f:
            for line in f:
                if line.startswith("Uid:"):
                    return int(line.split()[1]) == owner
    except (OSError, ValueError, IndexError):
        return False
    return False
