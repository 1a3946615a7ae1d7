"""clusters.json: where each cluster's scheduler is and how to reach it.

Files are read exactly where the upstream client reads them: `$AURORA_CONFIG_ROOT`
(or `/etc/aurora` when that is unset or empty), then `~/.aurora`. A later file
replaces a same-named cluster from an earlier one. The built-in `devcluster`
points at the local aurora-devcluster and any file may override it; only the
built-in entry, or an entry saying `"autostart": true`, is ever started on demand.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from typing import Any

from aurora.config_dirs import config_dirs
from aurora.errors import ConfigurationError

CLUSTERS_FILE = "clusters.json"
DEVCLUSTER_NAME = "devcluster"
DEVCLUSTER_URI = "http://127.0.0.1:8081"
BUILT_IN = "built-in"

# Every field the upstream client knows, with its default; None = unset.
FIELD_DEFAULTS: dict[str, Any] = {
    "zk": None,
    "zk_port": 2181,
    "scheduler_zk_path": None,
    "scheduler_uri": None,
    "proxy_url": None,
    "auth_mechanism": "UNAUTHENTICATED",
    "slave_root": None,
    "slave_run_directory": None,
    "docker_registry": "https://registry-1.docker.io",
}
_FIELD_TYPES: dict[str, type] = {"zk_port": int}
_TEXT_FIELDS = ("zk", "scheduler_zk_path", "scheduler_uri", "proxy_url", "auth_mechanism",
                "slave_root", "slave_run_directory", "docker_registry")


class Cluster(Mapping[str, Any]):
    """One cluster entry: an open key/value map with typed defaults for known fields.

    Unknown keys are kept (site plugins may read their own settings from here).
    """

    def __init__(self, values: Mapping[str, Any], source: str):
        self._values = dict(values)
        self.source = source

    @property
    def name(self) -> str:
        return self._values["name"]

    def __getitem__(self, key: str) -> Any:
        if key in self._values:
            return self._values[key]
        if key in FIELD_DEFAULTS:
            return FIELD_DEFAULTS[key]
        raise KeyError(key)

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __iter__(self) -> Iterator[str]:
        return iter({**{k: None for k in FIELD_DEFAULTS}, **self._values})

    def __len__(self) -> int:
        return len(set(FIELD_DEFAULTS) | set(self._values))

    @property
    def autostarts(self) -> bool:
        """Whether the client may start aurora-devcluster for this cluster.

        Only the built-in entry or one that asks for it with `"autostart": true`;
        never a cluster found through ZooKeeper, and never because of its name.
        """
        if self._values.get("zk"):
            return False
        return self.source == BUILT_IN or self._values.get("autostart") is True

    def __repr__(self) -> str:
        return f"Cluster({self._values!r})"


def builtin_clusters() -> dict[str, Cluster]:
    """The local aurora-devcluster with its default state dir (its agent's sandbox root)."""
    from aurora.devcluster.layout import RUN_DIRECTORY, default_state_dir, slave_root

    return {
        DEVCLUSTER_NAME: Cluster(
            {"name": DEVCLUSTER_NAME, "scheduler_uri": DEVCLUSTER_URI,
             "slave_root": slave_root(default_state_dir()),
             "slave_run_directory": RUN_DIRECTORY}, source=BUILT_IN
        )
    }


def _entries(path: str, document: Any) -> list[Any]:
    """The cluster entries: a list, or (tolerated) an object whose values are clusters."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict) and document and all(
            isinstance(v, dict) for v in document.values()):
        return list(document.values())
    found = "an object" if isinstance(document, dict) else f"a {type(document).__name__}"
    raise ConfigurationError(
        f"{path}: the top level must be a JSON list of clusters, not {found}",
        hint='write [{"name": "west", "scheduler_uri": "https://..."}, ...] '
             "(see docs/user-guide.md#clustersjson)",
    )


def _warn_misspelt_keys(path: str, index: int, entry: dict[str, Any]) -> None:
    """Keys that look like a misspelt field draw a warning; other keys are for plugins."""
    known = ["name", "autostart", *FIELD_DEFAULTS]
    if all(key in known for key in entry):
        return
    from aurora.spelling import did_you_mean

    for key in entry:
        close = did_you_mean(key, known, cutoff=0.75)
        if key not in known and close:
            from aurora.output import emit_err

            emit_err(f"aurora: warning: {path}: cluster entry {index + 1} has an unknown key "
                     f"'{key}' ({close})")


def _check_uri(path: str, entry: dict[str, Any]) -> None:
    """`scheduler_uri` must be an http(s) URL with a host (exit 3, not minutes of retries)."""
    from aurora.api.urls import split

    uri = entry.get("scheduler_uri")
    if uri is None:
        return
    try:
        parts = split(uri) if isinstance(uri, str) else None
        valid = parts is not None and parts.scheme in ("http", "https") \
            and bool(parts.hostname) and (parts.port or 1) > 0
    except ValueError:          # e.g. a port that is not a number
        valid = False
    if not valid:
        shown = re.sub(r"//[^/@]*@", "//***@", uri) if isinstance(uri, str) else uri
        raise ConfigurationError(
            f"{path}: cluster '{entry['name']}' field scheduler_uri {shown!r} is not an "
            "http(s) URL", hint="write it like https://aurora.example.com:8081")


def _check_entry(path: str, index: int, entry: Any) -> dict[str, Any] | None:
    if not isinstance(entry, dict):
        raise ConfigurationError(
            f"{path}: cluster entry {index + 1} is a {type(entry).__name__}, not an object",
            hint="write each cluster as {\"name\": ..., \"scheduler_uri\": ...}",
        )
    _warn_misspelt_keys(path, index, entry)
    if "name" not in entry:
        return None  # upstream silently ignores nameless entries
    if not isinstance(entry["name"], str) or not entry["name"]:
        raise ConfigurationError(f"{path}: cluster entry {index + 1} has an empty or "
                                 "non-string name", hint="give it a \"name\" such as \"west\"")
    if not isinstance(entry.get("autostart", False), bool):
        raise ConfigurationError(f"{path}: cluster '{entry['name']}' field autostart must be "
                                 f"true or false, got {entry['autostart']!r}")
    _check_fields(path, entry["name"], entry)
    return entry


def _check_fields(path: str, name: str, entry: dict[str, Any]) -> None:
    """Known fields of the right type (a scheduler_uri that is an object is an error)."""
    for field in _TEXT_FIELDS:
        if entry.get(field) is not None and not isinstance(entry[field], str):
            raise ConfigurationError(f"{path}: cluster '{name}' field {field} must be "
                                     f"a string, got {type(entry[field]).__name__}")
    _check_uri(path, entry)
    for field, kind in _FIELD_TYPES.items():
        if field in entry and not isinstance(entry[field], kind):
            try:
                entry[field] = kind(entry[field])
            except (TypeError, ValueError, OverflowError):
                raise ConfigurationError(
                    f"{path}: cluster '{name}' field {field} must be "
                    f"{kind.__name__}, got {entry[field]!r}"
                ) from None
    port = entry.get("zk_port", 2181)
    if isinstance(port, bool) or not 0 < port < 65536:
        raise ConfigurationError(f"{path}: cluster '{name}' field zk_port must be a port "
                                 f"number (1-65535), got {port!r}")


def load_file(path: str) -> list[Cluster]:
    """Parse one clusters.json; errors name the file, line and problem (exit 3)."""
    from aurora.configfile import read_bytes

    try:
        text = read_bytes(path).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigurationError(f"{path}: not UTF-8 text (byte {exc.start})",
                                 hint="save the file as UTF-8") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(
            f"{path} line {exc.lineno} column {exc.colno}: {exc.msg}",
            hint="fix the JSON syntax there",
        ) from None
    except RecursionError:
        raise ConfigurationError(f"{path}: values are nested too deeply to read",
                                 hint="clusters.json is a list of flat objects") from None
    clusters = []
    for index, entry in enumerate(_entries(path, document)):
        checked = _check_entry(path, index, entry)
        if checked is not None:
            clusters.append(Cluster(checked, source=path))
    return clusters


def load_clusters(dirs: list[str] | None = None) -> dict[str, Cluster]:
    """All clusters, built-in first, each file replacing same-named earlier entries."""
    clusters = builtin_clusters()
    for directory in dirs if dirs is not None else config_dirs():
        path = os.path.join(directory, CLUSTERS_FILE)
        if os.path.lexists(path):       # anything there must be a readable file
            for cluster in load_file(path):
                clusters[cluster.name] = cluster
    return clusters
