"""Leaders that a redirect led to, remembered between commands for a minute.

Behind a non-leading scheduler or a load balancer, every command's first call
would otherwise go to the front and come back with a 307. The leader it names
is kept in the user's cache (`leaders.json`, owner-only) for `KEEP_SECONDS`,
keyed by the configured URL, and the next command asks it first. It is safe to
be wrong: a remembered leader that takes no connection is forgotten at once and
the configured URL asked again (nothing was sent), and one that answers with a
redirect of its own is followed as usual. Credentials set for the configured
scheduler are never sent to it, remembered or not.
"""

from __future__ import annotations

import json
import os
import time

from aurora.api.paths import cache_dir

KEEP_SECONDS = 60.0
FILE = "leaders.json"


def _path() -> str:
    return os.path.join(cache_dir(), FILE)


def _read() -> dict[str, list]:
    try:
        with open(_path(), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def recall(configured: str) -> str | None:
    """The leader a redirect from `configured` led to within KEEP_SECONDS, or None."""
    entry = _read().get(configured)
    if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)
            and isinstance(entry[1], (int, float))):
        return None
    leader, until = entry
    return leader if time.time() < until and leader.startswith(("http://", "https://")) \
        else None


def _write(data: dict[str, list]) -> None:
    now = time.time()
    data = {k: v for k, v in data.items() if isinstance(v, list) and len(v) == 2
            and isinstance(v[1], (int, float)) and v[1] > now}
    try:
        os.makedirs(cache_dir(), mode=0o700, exist_ok=True)
        temporary = f"{_path()}.{os.getpid()}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(temporary, _path())
    except OSError:
        pass                            # a cache: the next command asks the front again


def remember(configured: str, leader: str | None) -> None:
    """Keep (or, with None, drop) where `configured`'s redirect led."""
    data = _read()
    if leader is None:
        if data.pop(configured, None) is None:
            return
    else:
        data[configured] = [leader, time.time() + KEEP_SECONDS]
    _write(data)
