"""The thrift tricks, behind one switch that only the two entry points throw.

Three tricks make a command's first scheduler call cheap; `benchmarks/startup.py`
prints what each one saves:

* `lazy_import` (`lazy_thriftpy2.py`): thriftpy2 without its package
  initialisers, which import the IDL parser, every protocol, `http.client`,
  `email` and `ssl`;
* `idl_snapshot` (`idl_cache.py`): the IDL rebuilt from a marshal snapshot
  instead of parsed with ply;
* `slim_views` (`views.py`): replies decoded through copies of the reply
  structs that declare only the fields a command shows, so the binary protocol
  skips the rest in C (`job status`, waits, `job list`, uptime figures).

Each leans on thriftpy2's internals, so they are switched on only for the
thriftpy2 versions they were written against (`SUPPORTED`; pyproject.toml pins
the same range). `install()` is called by `aurora/__main__.py` and
`aurora/devcluster/__main__.py` and nowhere else: importing any module has no
side effect, and code that never calls it (a library user, a unit test) works on
plain thriftpy2, with the IDL parsed and replies decoded whole.

`$AURORA_THRIFT_TRICKS` (a comma list of the names above, or `none`) keeps only
some of them: the start-up benchmark uses it to measure each trick.
"""

from __future__ import annotations

import os

TRICKS = ("lazy_import", "idl_snapshot", "slim_views")
SUPPORTED = ((0, 7),)              # thriftpy2 (major, minor) releases the tricks know
_active: set[str] = set()


def thriftpy2_version() -> tuple[int, ...] | None:
    """The installed thriftpy2's version, read from its package file (not imported)."""
    from aurora.api.lazy_thriftpy2 import installed

    found = installed()
    if found is None:
        return None
    try:
        return tuple(int(part) for part in found[1].split(".")[:3])
    except ValueError:
        return None


def install() -> str | None:
    """Switch the tricks on. Returns a one-line problem, and switches nothing on, when
    thriftpy2 is missing or a release the tricks were not written against."""
    version = thriftpy2_version()
    if version is None or version[:2] not in SUPPORTED:
        found = ".".join(map(str, version)) if version else "no usable thriftpy2"
        wanted = " or ".join(f"{major}.{minor}.x" for major, minor in SUPPORTED)
        return (f"found thriftpy2 {found}, but this client works with thriftpy2 {wanted}; "
                f"reinstall it with: pip install 'thriftpy2>={SUPPORTED[0][0]}."
                f"{SUPPORTED[0][1]},<{SUPPORTED[-1][0]}.{SUPPORTED[-1][1] + 1}'")
    wanted_tricks = os.environ.get("AURORA_THRIFT_TRICKS", ",".join(TRICKS)).split(",")
    _active.clear()
    _active.update(t.strip() for t in wanted_tricks if t.strip() in TRICKS)
    if "lazy_import" in _active:
        from aurora.api import lazy_thriftpy2

        lazy_thriftpy2.install()
    return None


def active(trick: str) -> bool:
    return trick in _active


def load_api(idl_file: str, module_name: str) -> object:
    """The IDL as a thriftpy2 module: from the snapshot when that trick is on."""
    if active("idl_snapshot"):
        from aurora.api.idl_cache import load_cached

        return load_cached(idl_file, module_name)
    import thriftpy2

    return thriftpy2.load(idl_file, module_name=module_name)
