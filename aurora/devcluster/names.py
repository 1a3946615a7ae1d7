"""Names the devcluster turns into paths: each must stay one directory entry.

A thrift caller need not use our client, so a process name such as
`../../x` arrives as it was sent; the runner writes `.logs/<process>/<run>/`
under the sandbox, and such a name would put a task's output anywhere its
user may write. The scheduler refuses these names when a job arrives
(`executor_problem`), and the runner checks again where it makes the path
(`path_component_problem`), since a sandbox's own files are not trusted.
"""

from __future__ import annotations

import json
from typing import Any

NAME_MAX = 255      # bytes in one directory entry on Linux file systems


def path_component_problem(name: Any) -> str | None:
    """Why `name` cannot be one directory entry, or None when it can."""
    if not isinstance(name, str) or not name:
        return "it is empty"
    if name in (".", ".."):
        return f"'{name}' names a directory that already exists"
    if "/" in name or "\0" in name:
        return "it contains '/' or a NUL character"
    if len(name.encode("utf-8", "surrogatepass")) > NAME_MAX:
        return f"it is longer than {NAME_MAX} bytes"
    return None


def executor_problem(data: str | None) -> str | None:
    """Why an AuroraExecutor data string cannot run here, or None when it can."""
    try:
        task = json.loads(data or "{}").get("task") or {}
        processes = task.get("processes") or []
    except (ValueError, AttributeError):
        return "the executor data is not a JSON object with a task"
    for process in processes:
        name = process.get("name") if isinstance(process, dict) else None
        problem = path_component_problem(name)
        if problem is not None:
            shown = json.dumps(name)[:60] if isinstance(name, str) else repr(name)[:60]
            return f"process name {shown} cannot be used: {problem}"
    return None
