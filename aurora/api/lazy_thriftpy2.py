"""Import thriftpy2 without its package initialiser.

`thriftpy2/__init__.py` imports the IDL parser (ply, urllib.request, ...) so
that `thriftpy2.load` is at hand: about 12 ms that a command using the cached
IDL (`idl_cache.py`) never needs. `install()` registers a lazy stand-in for the
package: submodules (`thriftpy2.thrift`, `thriftpy2.protocol`, ...) import
as usual, and the package-level names (`load`, `install_import_hook`, ...)
are imported on first use, so code that does `import thriftpy2;
thriftpy2.load(...)` keeps working.

`thriftpy2.protocol` and `thriftpy2.transport` get the same treatment: their
initialisers import every protocol and transport, among them `http.client`,
`email` and `ssl` (about 20 ms), while a call needs only the Cython binary
protocol, memory buffer and buffered transport (`wirecheck.reader`). The names
we use resolve to their submodules; any other name runs the real initialiser
first.

`thriftpy2._compat` (three flags) is given without importing `platform`, whose
module-level regular expressions cost about a millisecond: on POSIX,
`platform.system()` is `os.uname().sysname`.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import re
import sys
import types
from typing import Any

LAZY_NAMES = {"load": "parser", "load_module": "parser", "load_fp": "parser",
              "install_import_hook": "hook", "remove_import_hook": "hook"}


def version_in(init_file: str) -> str:
    """The `__version__` a package file declares, without importing it."""
    try:
        with open(init_file, encoding="utf-8") as handle:
            found = re.search(r"__version__\s*=\s*['\"]([^'\"]+)", handle.read())
        return found.group(1) if found else "unknown"
    except OSError:
        return "unknown"


@functools.cache
def installed() -> tuple[Any, str] | None:
    """thriftpy2's import spec and declared version, found once per run without importing
    it (None when it is not installed as a package)."""
    spec = importlib.util.find_spec("thriftpy2")
    if spec is None or not spec.submodule_search_locations or not spec.origin:
        return None
    return spec, version_in(spec.origin)


def install() -> None:
    """Register the lazy package unless thriftpy2 is already imported (or missing).
    Called only through `thrift_seam.install`."""
    found = None if "thriftpy2" in sys.modules else installed()
    if found is None:
        return
    spec, version = found
    package = types.ModuleType("thriftpy2")
    package.__file__ = spec.origin
    package.__path__ = list(spec.submodule_search_locations)
    package.__spec__ = spec
    package.__version__ = version
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
    _compat_flags()
    for name, names in SUBPACKAGES.items():
        _lazy_subpackage(name, names)


def _compat_flags() -> None:
    """`thriftpy2._compat`'s PYPY, UNIX and CYTHON, computed as it does."""
    import os

    if not hasattr(os, "uname") or "thriftpy2._compat" in sys.modules:
        return      # not POSIX: let the real module ask `platform`
    compat = types.ModuleType("thriftpy2._compat")
    compat.PYPY = "__pypy__" in sys.modules  # type: ignore[attr-defined]
    compat.UNIX = os.uname().sysname in ("Linux", "Darwin")  # type: ignore[attr-defined]
    compat.CYTHON = not compat.PYPY  # type: ignore[attr-defined]
    sys.modules["thriftpy2._compat"] = compat


# package -> {name: (submodule, attribute)}; the Cython classes, as the real
# initialisers bind them on CPython.
SUBPACKAGES = {
    "thriftpy2.protocol": {
        "TCyBinaryProtocol": ("cybin", "TCyBinaryProtocol"),
        "TCyBinaryProtocolFactory": ("cybin", "TCyBinaryProtocolFactory"),
    },
    "thriftpy2.transport": {
        "TCyMemoryBuffer": ("memory", "TCyMemoryBuffer"),
        "TCyBufferedTransport": ("buffered.cybuffered", "TCyBufferedTransport"),
        "TTransportException": ("base", "TTransportException"),
    },
}


def _lazy_subpackage(name: str, names: dict[str, tuple[str, str]]) -> None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations or not spec.origin:
        return
    package = types.ModuleType(name)
    package.__file__ = spec.origin
    package.__path__ = list(spec.submodule_search_locations)
    package.__spec__ = spec
    package.__package__ = name
    state = {"loaded": False}

    def __getattr__(attr: str) -> Any:
        if attr in names and not state["loaded"]:
            module, value_name = names[attr]
            value = getattr(importlib.import_module(f"{name}.{module}"), value_name)
            setattr(package, attr, value)
            return value
        if not state["loaded"] and not attr.startswith("__"):
            state["loaded"] = True          # the real initialiser, once, into this module
            with open(spec.origin, encoding="utf-8") as handle:
                exec(compile(handle.read(), spec.origin, "exec"), package.__dict__)
            if attr in package.__dict__:
                return package.__dict__[attr]
        raise AttributeError(f"module {name!r} has no attribute {attr!r}")

    package.__getattr__ = __getattr__  # type: ignore[attr-defined]
    sys.modules[name] = package
