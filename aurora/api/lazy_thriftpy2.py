"""Import thriftpy2 without its package initialiser.

`thriftpy2/__init__.py` imports the IDL parser (ply, urllib.request, ...) so
that `thriftpy2.load` is at hand: about 12 ms that a command using the cached
IDL (`idl_cache.py`) never needs. `install()` registers a lazy stand-in for the
package: submodules (`thriftpy2.thrift`, `thriftpy2.protocol`, ...) import
as usual, and the package-level names (`load`, `install_import_hook`, ...)
are imported on first use, so code that does `import thriftpy2;
thriftpy2.load(...)` keeps working.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import types
from typing import Any

LAZY_NAMES = {"load": "parser", "load_module": "parser", "load_fp": "parser",
              "install_import_hook": "hook", "remove_import_hook": "hook"}


def _version(init_file: str) -> str:
    try:
        with open(init_file, encoding="utf-8") as handle:
            found = re.search(r"__version__\s*=\s*['\"]([^'\"]+)", handle.read())
        return found.group(1) if found else "unknown"
    except OSError:
        return "unknown"


def install() -> None:
    """Register the lazy package unless thriftpy2 is already imported (or missing)."""
    if "thriftpy2" in sys.modules:
        return
    spec = importlib.util.find_spec("thriftpy2")
    if spec is None or not spec.submodule_search_locations or not spec.origin:
        return
    package = types.ModuleType("thriftpy2")
    package.__file__ = spec.origin
    package.__path__ = list(spec.submodule_search_locations)
    package.__spec__ = spec
    package.__version__ = _version(spec.origin)
    package.__python__ = sys.version_info

    def __getattr__(name: str) -> Any:
        if name in LAZY_NAMES:
            module = importlib.import_module(f"thriftpy2.{LAZY_NAMES[name]}")
            value = getattr(module, name)
            setattr(package, name, value)
            return value
        raise AttributeError(f"module 'thriftpy2' has no attribute {name!r}")

    package.__getattr__ = __getattr__  # type: ignore[attr-defined]
    sys.modules["thriftpy2"] = package
