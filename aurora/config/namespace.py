"""The names a job file can use without importing anything.

The same names upstream job files rely on: pystachio's types, the Thermos and
Aurora schema, the helpers, and `include` (added per load by the loader).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

PYSTACHIO_NAMES = ("Struct", "Required", "Default", "Empty", "String", "Integer", "Float",
                   "Boolean", "Enum", "List", "Map", "Choice", "Ref", "Environment", "Namable",
                   "MustacheParser", "Type", "TypeCheck", "TypeFactory")


def _pystachio_star() -> dict[str, Any]:
    """What `from pystachio import *` binds, as upstream's loader seeds every file.

    pystachio has no `__all__`, so the star import also hands job files its
    submodules and the `sys` module it imports; upstream's loader has imported
    `pystachio.config` by then, so `config` is among them. Files written for
    upstream use `sys` without importing it.
    """
    import pystachio
    import pystachio.config  # noqa: F401 - imported upstream before any job file runs

    return {n: v for n, v in vars(pystachio).items() if not n.startswith("_")}


@lru_cache(maxsize=1)
def _base() -> dict[str, Any]:
    import pystachio

    from aurora.config import helpers, map_history, schema

    map_history.install()       # before any job file makes a Map
    names: dict[str, Any] = {n: getattr(pystachio, n) for n in PYSTACHIO_NAMES}
    names.update(map_history.names())       # what map_history.mark_sources calls
    names.update(_pystachio_star())
    for module in (schema, helpers):
        for name, value in vars(module).items():
            if not name.startswith("_") and getattr(value, "__module__", module.__name__) in (
                    module.__name__, "pystachio.typing", "pystachio.composite",
                    "pystachio.basic", "pystachio.container", "pystachio.choice"):
                names[name] = value
    for constant in ("BYTES", "KB", "MB", "GB", "TB", "AURORA_EXECUTOR_NAME"):
        names[constant] = getattr(schema, constant)
    return names


def job_file_namespace() -> dict[str, Any]:
    """A fresh namespace for one job file (its globals and locals)."""
    namespace = dict(_base())
    namespace["__name__"] = "__aurora_config__"
    namespace["__builtins__"] = __builtins__
    return namespace
