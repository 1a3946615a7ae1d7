"""Where the client and the scheduler API keep their per-user cache.

One directory for the command index, the last traceback and the parsed-IDL
snapshot; it lives here so that the API (and the devcluster, which uses only
the API) does not reach into the client for it.
"""

from __future__ import annotations

import os


def cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "aurora-client")
