"""What can never run: process names and command lines no agent could start.

A thrift caller can bypass the client's checks, so the devcluster refuses such
a task when it is submitted (INVALID_REQUEST) and, for one stored by an
earlier version, fails it at launch instead of starting a runner that can only
crash. The limits are the machine's, not policy:

* a process name is a directory under the sandbox's `.logs`: Thermos' pattern
  (no leading '.', no '/'), no NUL, at most NAME_MAX (255) bytes;
* a command line is one argument of `bash -c`: no NUL byte, at most
  MAX_ARG_STRLEN - 1 (131,071) bytes on Linux.
"""

from __future__ import annotations

import json
from typing import Any

from aurora.devcluster.executor import AURORA_EXECUTOR
from aurora.devcluster.names import process_name_problem

MAX_CMDLINE_BYTES = 128 * 1024 - 1


class CannotRun(Exception):
    """A task whose processes can never start: fails it with this message."""


def process_problem(name: Any, cmdline: Any) -> str | None:
    """Why a process with this name and command line can never run, or None."""
    problem = process_name_problem(name)
    if problem:
        return problem
    if not isinstance(cmdline, str):
        return f"process '{name}' has no cmdline"
    if "\0" in cmdline:
        return f"the cmdline of process '{name}' contains a NUL byte"
    size = len(cmdline.encode("utf-8", "surrogatepass"))
    if size > MAX_CMDLINE_BYTES:
        return (f"the cmdline of process '{name}' is {size} bytes long; a command line "
                f"may be at most {MAX_CMDLINE_BYTES} bytes (put the script in a file)")
    return None


def never_runs(config: Any) -> str | None:
    """Why the task config's processes can never run, or None (also None when the task
    is not for the Aurora executor: the executor reports that itself)."""
    executor = getattr(config, "executorConfig", None)
    if executor is None or executor.name != AURORA_EXECUTOR:
        return None
    try:
        data = json.loads(executor.data or "{}")
        processes = data.get("task", {}).get("processes", []) or []
        specs = [(p.get("name"), p.get("cmdline", "")) for p in processes]
    except (ValueError, AttributeError, TypeError):
        return "the executor data is not a Thermos task in JSON"
    for name, cmdline in specs:
        problem = process_problem(name, cmdline)
        if problem:
            return problem
    return None
