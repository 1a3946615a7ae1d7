"""Task configs side by side: the one rendering `job diff` and `update info --diff`
compare, and the diff program that compares them."""

from __future__ import annotations

import json
import os
from typing import Any

from aurora.errors import CommandFailure
from aurora.thrift_json import thrift_json

UNORDERED_FIELDS = ("resources", "constraints", "metadata", "mesosFetcherUris")


def render_task(config: Any) -> str:
    """A task config as sorted, indented JSON, executor data expanded, for diffing."""
    data = thrift_json(config)
    for unordered in UNORDERED_FIELDS:      # sets on the wire: the same order on both sides
        if isinstance(data.get(unordered), list):
            data[unordered] = sorted(data[unordered],
                                     key=lambda item: json.dumps(item, sort_keys=True))
    executor = data.get("executorConfig", {})
    if isinstance(executor.get("data"), str):
        try:
            executor["data"] = json.loads(executor["data"])
        except ValueError:
            pass
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def external_diff(remote: str, local: str) -> str:
    """Run $DIFF_VIEWER (default diff) on the two renderings, remote first."""
    import shlex
    import subprocess
    import tempfile

    viewer = shlex.split(os.environ.get("DIFF_VIEWER") or "diff")
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for name, text in (("remote", remote), ("local", local)):
            paths.append(os.path.join(folder, name))
            with open(paths[-1], "w") as handle:
                handle.write(text)
        try:
            done = subprocess.run([*viewer, *paths], capture_output=True, text=True)
        except OSError as exc:
            raise CommandFailure(f"Error running diff: {exc}",
                                 hint="check the DIFF_VIEWER environment variable") from None
    if done.returncode not in (0, 1):
        raise CommandFailure(f"Error running diff: {done.stderr.strip()}",
                             hint="check the DIFF_VIEWER environment variable")
    return done.stdout
