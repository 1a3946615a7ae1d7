"""The one rule for a process name, which the runner turns into a path.

A process's logs go to `.logs/<process>/<run>/` under its sandbox, so a name
must be one directory entry: Thermos' pattern (no leading '.', no '/'), no NUL,
at most NAME_MAX bytes. A thrift caller need not use our client, so
`taskcheck` refuses other names when a job arrives, and the runner checks again
where it makes the path, since a sandbox's own files are not trusted (a name
such as `../../x` would put a task's output anywhere its user may write).
"""

from __future__ import annotations

import re
from typing import Any

PROCESS_NAME = re.compile(r"^[^./][^/]*$")     # Thermos' process name pattern
NAME_MAX = 255      # bytes in one directory entry on Linux file systems


def process_name_problem(name: Any) -> str | None:
    """Why `name` cannot name a process (and its log folder), or None when it can."""
    if not isinstance(name, str) or not PROCESS_NAME.match(name) or "\0" in name:
        return (f"invalid process name {str(name)[:60]!r}: it may not be empty, start "
                "with '.' or contain '/' or NUL")
    size = len(name.encode("utf-8", "surrogatepass"))
    if size > NAME_MAX:
        return (f"process name {name[:40]!r}... is {size} bytes long; at most "
                f"{NAME_MAX} are allowed")
    return None
