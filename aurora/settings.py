"""The client config file, client.toml: site and user defaults for the client.

Read from the same directories as clusters.json (`$AURORA_CONFIG_ROOT` or
`/etc/aurora`, then `~/.aurora`); the user's file is merged over the site's
table by table. Recognised keys::

    [output]
    format = "json"              # default output format for every command

    [plugins]
    disable = ["tunnel"]         # entry-point names never loaded
    strict = false               # like AURORA_PLUGINS_STRICT=1
    required = ["change-ticket"] # plugins every command needs (site file: see below)

    [scheduler]
    connect_timeout = 10         # seconds (flag --connect-timeout)
    timeout = 60                 # seconds for an answer (flag --timeout)
    ca_bundle = "/etc/ssl/site-ca.pem"   # TLS trust (flag --ca-bundle)
    retries = 5                  # retries of a failed call (0 = fail at once)
    failover_timeout = 30        # seconds to wait for a new ZooKeeper leader to answer

    [devcluster]
    autostart = true             # start aurora-devcluster on demand

    [plugin.NAME]                # free-form settings for plugin NAME
    key = "value"

A plugin named in `[plugins] required` (or in `$AURORA_REQUIRED_PLUGINS`) must
be installed, loaded, registered and not skipped, or every command but help,
`--version` and `plugins list` stops (exit 3). Requirements from any file add
up: a user's own file can add one, never lift the site's.
"""

from __future__ import annotations

import os
from typing import Any

from aurora.errors import ConfigurationError

CLIENT_CONFIG_FILE = "client.toml"
MAX_RETRIES = 100
MAX_SECONDS = 86_400     # a day: longer "timeouts" are typos, and sockets refuse huge ones


def valid_seconds(value: Any) -> bool:
    """A usable timeout: a finite number of seconds in (0, MAX_SECONDS] (not nan, not inf)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return 0 < value <= MAX_SECONDS


def _read_toml(path: str) -> dict[str, Any]:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    from aurora.configfile import read_bytes

    data = read_bytes(path)
    try:
        return tomllib.loads(data.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already says "(at line L, column C)".
        raise ConfigurationError(f"{path}: {exc}", hint="fix the TOML syntax there") from None
    except UnicodeDecodeError as exc:
        raise ConfigurationError(f"{path}: not UTF-8 text (byte {exc.start})",
                                 hint="save the file as UTF-8") from None
    except RecursionError:
        raise ConfigurationError(f"{path}: values are nested too deeply to read",
                                 hint="client.toml needs only flat tables") from None


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _expect(path: str, table: dict[str, Any], key: str, kind: type, what: str) -> Any:
    value = table.get(key)
    if value is not None and not isinstance(value, kind):
        raise ConfigurationError(f"{path}: {what} must be {kind.__name__}, got {value!r}")
    return value


class ClientSettings:
    """Parsed client.toml, with the defaults that apply when no file says otherwise
    (a plain class, not a dataclass: see "Start-up time" in docs/architecture.md)."""

    def __init__(self, output_format: str | None = None,
                 disabled_plugins: frozenset[str] = frozenset(), strict_plugins: bool = False,
                 devcluster_autostart: bool = True, scheduler: dict[str, Any] | None = None,
                 plugin_settings: dict[str, dict[str, Any]] | None = None,
                 files: tuple[str, ...] = (),
                 required_plugins: dict[str, str] | None = None):
        self.output_format = output_format
        self.disabled_plugins = disabled_plugins
        self.strict_plugins = strict_plugins
        self.devcluster_autostart = devcluster_autostart
        self.scheduler = {} if scheduler is None else scheduler
        self.plugin_settings = {} if plugin_settings is None else plugin_settings
        self.files = files
        self.required_plugins = {} if required_plugins is None else required_plugins
        # (plugin name -> where it is required: a client.toml path or the variable)

    def for_plugin(self, name: str) -> dict[str, Any]:
        """The `[plugin.NAME]` table (empty when absent)."""
        return self.plugin_settings.get(name, {})


def client_config_paths(dirs: list[str] | None = None) -> list[str]:
    from aurora.config_dirs import config_dirs

    return [os.path.join(d, CLIENT_CONFIG_FILE) for d in (dirs or config_dirs())]


SECTIONS = ("output", "plugins", "scheduler", "devcluster", "plugin")


def _warn_unknown_sections(path: str, document: dict[str, Any]) -> None:
    """A misspelt section would be ignored without a word: name it and the file."""
    from aurora.output import emit_err
    from aurora.spelling import did_you_mean

    for name, value in document.items():
        if name not in SECTIONS:
            close = did_you_mean(name, SECTIONS, shape="[{}]")
            guess = f" ({close})" if close else ""
            what = f"section [{name}]" if isinstance(value, dict) else f"top-level key '{name}'"
            emit_err(f"aurora: warning: {path}: unknown {what}{guess}; it is ignored")


def _read_all(dirs: list[str] | None) -> tuple[dict[str, Any], list[str], dict[str, str]]:
    """Every client.toml found, merged in order (later files win), their paths, and the
    plugins each requires (requirements add up instead of being replaced)."""
    merged: dict[str, Any] = {}
    files = []
    required: dict[str, str] = {}
    for path in client_config_paths(dirs):
        if os.path.lexists(path):       # anything there must be a readable file
            document = _read_toml(path)
            _warn_unknown_sections(path, document)
            for name in _required_in(path, document):
                required.setdefault(name, path)
            merged = _merge(merged, document)
            files.append(path)
    return merged, files, required


def _required_in(path: str, document: dict[str, Any]) -> list[str]:
    plugins = document.get("plugins", {})
    names = _expect(path, plugins, "required", list, "plugins.required") \
        if isinstance(plugins, dict) else None
    if names is not None and not all(isinstance(n, str) for n in names):
        raise ConfigurationError(f"{path}: plugins.required must be a list of plugin names")
    return names or []


def env_required_plugins() -> list[str]:
    raw = os.environ.get("AURORA_REQUIRED_PLUGINS", "")
    return [n.strip() for n in raw.split(",") if n.strip()]


def _check_tables(where: str, merged: dict[str, Any]) -> None:
    for name in ("output", "plugins", "scheduler", "devcluster", "plugin"):
        if not isinstance(merged.get(name, {}), dict):
            raise ConfigurationError(f"{where}: [{name}] must be a table")
    for name, table in merged.get("plugin", {}).items():
        if not isinstance(table, dict):
            raise ConfigurationError(f"{where}: [plugin.{name}] must be a table")


def _check_scheduler(where: str, scheduler: dict[str, Any]) -> None:
    for key in ("connect_timeout", "timeout", "failover_timeout"):
        value = scheduler.get(key)
        if value is not None and not valid_seconds(value):
            raise ConfigurationError(f"{where}: scheduler.{key} must be a positive number of "
                                     f"seconds, at most {MAX_SECONDS}, got {value!r}")
    _expect(where, scheduler, "ca_bundle", str, "scheduler.ca_bundle")
    retries = scheduler.get("retries")
    if retries is not None and (isinstance(retries, bool) or not isinstance(retries, int)
                                or not 0 <= retries <= MAX_RETRIES):
        raise ConfigurationError(f"{where}: scheduler.retries must be a whole number from 0 "
                                 f"to {MAX_RETRIES}, got {retries!r}")


def load_settings(dirs: list[str] | None = None) -> ClientSettings:
    merged, files, required = _read_all(dirs)
    for name in env_required_plugins():
        required.setdefault(name, "AURORA_REQUIRED_PLUGINS")
    where = " or ".join(files) or "client.toml"
    _check_tables(where, merged)
    output = merged.get("output", {})
    plugins = merged.get("plugins", {})
    devcluster = merged.get("devcluster", {})
    scheduler = merged.get("scheduler", {})
    disabled = _expect(where, plugins, "disable", list, "plugins.disable") or []
    if not all(isinstance(n, str) for n in disabled):
        raise ConfigurationError(f"{where}: plugins.disable must be a list of plugin names")
    _check_scheduler(where, scheduler)
    autostart = _expect(where, devcluster, "autostart", bool, "devcluster.autostart")
    return ClientSettings(
        output_format=_expect(where, output, "format", str, "output.format"),
        disabled_plugins=frozenset(disabled),
        strict_plugins=bool(_expect(where, plugins, "strict", bool, "plugins.strict")),
        devcluster_autostart=True if autostart is None else autostart,
        scheduler=dict(scheduler),
        plugin_settings=dict(merged.get("plugin", {})),
        files=tuple(files),
        required_plugins=required,
    )
