"""The command index: a cache of what plugin discovery found, for fast start-up.

After each full start the CLI writes this index: the entry points found, the
rendered top-level and per-noun help, the plugin warnings, which plugins add to
each noun and which hooks each implements, the global options, and a
fingerprint of everything that could change them (interpreter, sys.path
directories, plugin source files, client.toml files, environment switches). A
verb's help is added the first time it is shown, for the terminal width it was
rendered at. Any fingerprint change makes the index stale and it is rebuilt.
This module only stores and reads it; `aurora/fastpath.py` answers from it.

This module must stay cheap to import: stdlib `os`, `sys`, `json` only.
"""

from __future__ import annotations

import json
import os
import sys

from aurora import __version__
from aurora.api.paths import cache_dir

TYPE_CHECKING = False       # typing is not imported on the fast path
if TYPE_CHECKING:
    from typing import Any

FORMAT = 2
ENV_SWITCHES = ("AURORA_DISABLE_PLUGINS", "AURORA_PLUGINS_STRICT", "AURORA_CONFIG_ROOT")


def index_path() -> str:
    # One index per interpreter and import path, so neither several virtualenvs nor
    # several one-file builds on one interpreter share one and rebuild it in turn
    # (sys.path[0], the script's folder or the working directory, is left out).
    # FNV-1a: a stable tag without loading zlib on every start.
    tag = 0x811C9DC5
    for byte in "\0".join([sys.executable, sys.prefix, *sys.path[1:]]).encode():
        tag = ((tag ^ byte) * 0x01000193) & 0xFFFFFFFF
    return os.path.join(cache_dir(), f"commands-{tag:08x}.json")


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return -1.0


def _config_files() -> list[str]:
    from aurora.config_dirs import config_dirs

    return [os.path.join(d, "client.toml") for d in config_dirs()]


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
          warnings: list[str], commands: dict[str, Any] | None = None) -> dict[str, Any]:
    """Atomically replace the index (and return it); failure to write is never an error.

    `commands`: {"plugins": {name: [hooks]}, "nouns": {noun: [owner, other plugins
    adding verbs to it]},
    "options": {global option: 1 if it takes a value else 0}, "failed": [plugins]}.
    """
    data = {
        "fingerprint": fingerprint(files),
        "files": files,
        "entry_points": [list(e) for e in entry_points],
        "help": help_text,
        "warnings": warnings,
        "commands": commands or {},
        "verb_help": {},
    }
    _store(data)
    return data


def _store(data: dict[str, Any]) -> None:
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


def terminal_columns() -> int:
    """What `shutil.get_terminal_size().columns` answers (argparse wraps help to it)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


def remember_verb_help(data: dict[str, Any], noun: str, verb: str, text: str,
                       columns: int) -> None:
    """Keep a verb's rendered help (in the index `data` read this run) so the next
    request is answered from the index."""
    data.setdefault("verb_help", {})[f"{noun} {verb} {columns}"] = text
    _store(data)
