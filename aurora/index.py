"""The command index: a cache of what plugin discovery found, for fast start-up.

A full start (stevedore discovery, pluggy registration of every plugin) costs
far more than Python itself. After each full start the CLI writes this index:
the entry points found, the rendered top-level and per-noun help, the plugin
warnings, and a fingerprint of everything that could change them (interpreter,
sys.path directories, plugin source files, client.toml files, environment
switches). `aurora`, `aurora help [NOUN]` and `aurora NOUN -h` are answered from
it without importing pluggy, stevedore or argparse; later runs reuse its entry
point list. Any fingerprint change makes the index stale and it is rebuilt.

This module must stay cheap to import: stdlib `os`, `sys`, `json` only.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from aurora import __version__

FORMAT = 1
ENV_SWITCHES = ("AURORA_DISABLE_PLUGINS", "AURORA_PLUGINS_STRICT", "AURORA_CONFIG_ROOT")


def cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "aurora-client")


def index_path() -> str:
    # One index per interpreter, so several virtualenvs never share one.
    import zlib

    tag = zlib.crc32(f"{sys.executable}\0{sys.prefix}".encode()) & 0xFFFFFFFF
    return os.path.join(cache_dir(), f"commands-{tag:08x}.json")


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return -1.0


def _config_files() -> list[str]:
    system = os.environ.get("AURORA_CONFIG_ROOT") or "/etc/aurora"
    home = os.path.join(os.path.expanduser("~"), ".aurora")
    return [os.path.join(system, "client.toml"), os.path.join(home, "client.toml")]


def fingerprint(files: list[str]) -> list[Any]:
    """Everything whose change may change the set of plugins or their help."""
    paths = [p or os.getcwd() for p in sys.path]
    return [
        FORMAT,
        __version__,
        sys.executable,
        [os.environ.get(name, "") for name in ENV_SWITCHES],
        [[p, _mtime(p)] for p in paths],
        [[f, _mtime(f)] for f in _config_files() + list(files)],
    ]


def read() -> dict[str, Any] | None:
    """The index when it is still valid, else None."""
    try:
        with open(index_path(), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("fingerprint") != fingerprint(data.get("files", [])):
        return None
    return data


def write(entry_points: list[tuple[str, str]], files: list[str], help_text: dict[str, Any],
          warnings: list[str]) -> None:
    """Atomically replace the index; failure to write is never an error."""
    data = {
        "fingerprint": fingerprint(files),
        "files": files,
        "entry_points": [list(e) for e in entry_points],
        "help": help_text,
        "warnings": warnings,
    }
    path = index_path()
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def cached_help(argv: list[str]) -> str | None:
    """Help text for `aurora`, `aurora help [NOUN]`, `aurora [NOUN] -h`, or None."""
    data = read()
    if data is None:
        return None
    for warning in data.get("warnings", []):
        sys.stderr.write(warning + "\n")
    help_text = data["help"]
    words = [a for a in argv if a not in ("-h", "--help", "help")]
    if not words:
        return help_text["top"]
    if len(words) == 1:
        return help_text["nouns"].get(words[0])
    return None
