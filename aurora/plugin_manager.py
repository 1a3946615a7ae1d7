"""Plugin discovery and registration: stevedore finds, pluggy calls.

Every plugin, built-in or a site's, is an entry point in the group
``aurora.plugins`` naming a module or object that implements hooks from
`aurora.hookspecs`. Each entry point is imported on its own inside try/except,
so one broken plugin costs a one-line warning, never the whole CLI
(``AURORA_PLUGINS_STRICT=1`` turns the warning into an error). A plugin whose
hook implementations name a hook `aurora.hookspecs` does not declare (a typo)
is refused the same way, through pluggy's ``check_pending``. Plugins named in
``AURORA_DISABLE_PLUGINS`` or ``[plugins] disable`` are blocked in pluggy
(``set_blocked``) and never imported.

`PluginManager` *is* the pluggy plugin manager (a subclass adding discovery,
isolation and bookkeeping): the one handle on plugins, held by the command line
as ``cli.plugins``.

The lifecycle is pluggy's own. The registration hooks are *historic*: the command
line calls them once, before any plugin is loaded, and pluggy calls each plugin's
implementations the moment it registers, inside `load_one`'s isolation. A plugin
loaded later in the run (`load_all`, for completion or `plugins list`) is
registered the same way. The manager knows nothing of the command line.

Built-ins (entry points whose target lives in ``aurora.plugins``) are registered
first, then site plugins sorted by name, so that a site's implementation is
called first where pluggy takes one result.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterable
from functools import cache
from types import ModuleType, TracebackType
from typing import Any

import pluggy

from aurora import hookspecs
from aurora.errors import PluginError
from aurora.output import emit_err

ENTRY_POINT_GROUP = "aurora.plugins"
BUILTIN_PACKAGE = "aurora.plugins"


class PluginRecord:
    """What the manager knows about one entry point, loaded or not (a plain class,
    not a dataclass: see "Start-up time" in docs/architecture.md)."""

    def __init__(self, name: str, target: str, status: str = "loaded", reason: str = "",
                 plugin: Any = None, module_file: str | None = None):
        self.name = name
        self.target = target
        self.status = status    # loaded | disabled | failed | deferred (not needed this run)
        self.reason = reason
        self.plugin = plugin
        self.module_file = module_file

    @property
    def builtin(self) -> bool:
        module = self.target.split(":", 1)[0]
        return module == BUILTIN_PACKAGE or module.startswith(BUILTIN_PACKAGE + ".")


def env_disabled_plugins() -> frozenset[str]:
    raw = os.environ.get("AURORA_DISABLE_PLUGINS", "")
    return frozenset(n.strip() for n in raw.split(",") if n.strip())


def env_strict() -> bool:
    return os.environ.get("AURORA_PLUGINS_STRICT", "") not in ("", "0", "false", "no")


def discover_entry_points() -> list[tuple[str, str]]:
    """(name, target) of every entry point in the group, through stevedore's cache."""
    from stevedore import NamedExtensionManager

    manager = NamedExtensionManager(ENTRY_POINT_GROUP, names=[],
                                    on_missing_entrypoints_callback=None)
    seen: set[str] = set()
    found = []
    for ep in manager.list_entry_points():
        if ep.name not in seen:  # the first distribution on sys.path wins a name
            seen.add(ep.name)
            found.append((ep.name, ep.value))
    return found


def ordered(entry_points: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Built-ins first in declaration order, then site plugins by name."""
    entries = list(entry_points)
    builtins = [e for e in entries if PluginRecord(*e).builtin]
    sites = sorted((e for e in entries if not PluginRecord(*e).builtin), key=lambda e: e[0])
    return builtins + sites


def load_target(target: str) -> Any:
    """Import `module[:attr.attr]` the way an entry point's load() does."""
    module_name, _, attrs = target.partition(":")
    obj: Any = importlib.import_module(module_name.strip())
    for attr in filter(None, attrs.strip().split(".")):
        obj = getattr(obj, attr)
    return obj


@cache
def distributions() -> dict[tuple[str, str], tuple[str, str]]:
    """(entry point name, target) -> (distribution, version) of every plugin.

    The one lookup of installed distributions, done at most once per run and only
    when something asks (a failing plugin's warning, `aurora plugins list`).
    """
    from importlib import metadata

    found: dict[tuple[str, str], tuple[str, str]] = {}
    for dist in metadata.distributions():
        for ep in dist.entry_points:
            if ep.group == ENTRY_POINT_GROUP:
                found.setdefault((ep.name, ep.value),
                                 (dist.metadata["Name"] or "?", dist.version or "?"))
    return found


def distribution_of(name: str, target: str) -> str:
    """The distribution that declares an entry point."""
    return distributions().get((name, target), ("unknown distribution", ""))[0]


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class PluginManager(pluggy.PluginManager):
    """pluggy's plugin manager with discovery, isolation and bookkeeping."""

    def __init__(self, disabled: Iterable[str] = (), strict: bool = False,
                 required: Iterable[str] = ()):
        super().__init__(hookspecs.PROJECT)
        self.add_hookspecs(hookspecs)
        for name in disabled:           # pluggy's block list is the one record of them
            self.set_blocked(name)
        self.strict = strict
        self.required = frozenset(required)     # their failure stops the command instead
        self.records: dict[str, PluginRecord] = {}
        self.warnings: list[str] = []
        self.registering: str | None = None     # the plugin whose hooks are being called

    # -- loading -------------------------------------------------------------
    def load(self, entry_points: Iterable[tuple[str, str]],
             only: set[str] | None = None) -> None:
        """Import and register each plugin; those not in `only` (when given) are
        deferred: recorded, not imported, until `load_all`."""
        for name, target in ordered(entry_points):
            record = PluginRecord(name, target)
            self.records[name] = record
            if self.is_blocked(name):
                record.status, record.reason = "disabled", "disabled by configuration"
            elif only is not None and name not in only:
                record.status, record.reason = "deferred", "not needed by this command"
            else:
                self.load_one(record)

    def load_all(self) -> None:
        """Load the plugins this run deferred, for whoever needs every plugin."""
        for record in list(self.records.values()):
            if record.status == "deferred":
                record.status, record.reason = "loaded", ""
                self.load_one(record)

    def load_one(self, record: PluginRecord) -> None:
        """Import and register one plugin; its registration hooks run as it registers.
        Whatever it raises fails this plugin alone."""
        name = record.name
        try:
            plugin = load_target(record.target)
        except Exception as exc:  # noqa: BLE001 - isolation is the point
            self.fail(name, "failed to load", exc)
            return
        self.registering = name
        try:
            self.register(plugin, name=name)
        except PluginError:
            raise
        except Exception as exc:  # noqa: BLE001 - a bad signature, or a hook that raised
            hook = _hook_that_raised(exc)
            self.fail(name, f"raised in {hook}" if hook else "could not be registered", exc)
            return
        finally:
            self.registering = None
        unknown = self.unknown_hooks(name)
        if unknown:
            self.fail(name, "implements hooks aurora does not define",
                      ", ".join(unknown) + " (misspelt?)")
            return
        record.plugin = plugin
        module = sys.modules.get(getattr(plugin, "__module__", None) or "") \
            if not isinstance(plugin, ModuleType) else plugin
        record.module_file = getattr(module, "__file__", None)

    def fail(self, name: str, what: str, exc: BaseException | str) -> None:
        """Mark a plugin broken: unregister it, warn once, or raise in strict mode."""
        record = self.records[name]
        detail = exc if isinstance(exc, str) else _one_line(exc)
        record.status, record.reason = "failed", f"{what}: {detail}"
        if self.get_plugin(name) is not None:
            self.unregister(name=name)
        message = (f"plugin '{name}' (distribution {distribution_of(name, record.target)}) "
                   f"{record.reason}")
        if self.strict:
            raise PluginError(message, hint="unset AURORA_PLUGINS_STRICT to skip broken plugins")
        if name in self.required:
            return          # not skipped: `required_plugins.check` stops the command
        self.warnings.append(f"aurora: warning: {message}; skipped")
        emit_err(self.warnings[-1])

    def unknown_hooks(self, name: str) -> list[str]:
        """Hooks the plugin `name` implements without a spec (pluggy's
        ``check_pending`` finds them; this names them for the warning)."""
        try:
            self.check_pending()
        except pluggy.PluginValidationError as exc:
            if exc.plugin is not self.get_plugin(name):
                raise       # only the plugin just registered can be new here
            return sorted(caller.name for caller in self.get_hookcallers(exc.plugin) or []
                          if not caller.has_spec())
        return []

    # -- calling -------------------------------------------------------------
    def failed(self) -> set[str]:
        """The plugins that failed this run (what they registered must be undone)."""
        return {r.name for r in self.records.values() if r.status == "failed"}

    def blame(self, tb: TracebackType | None) -> str | None:
        """The plugin whose code raised, judged by the outermost plugin frame."""
        modules = {}
        for record in self.records.values():
            if record.plugin is None:
                continue
            module = record.plugin if isinstance(record.plugin, ModuleType) \
                else sys.modules.get(type(record.plugin).__module__)
            if module is not None:
                modules[module.__name__] = record.name
        import traceback

        for frame, _ in traceback.walk_tb(tb):
            name = frame.f_globals.get("__name__", "")
            if name in modules:
                return modules[name]
        return None

    # -- listing -------------------------------------------------------------
    def hooks_of(self, name: str) -> list[str]:
        plugin = self.get_plugin(name)
        if plugin is None:
            return []
        return sorted(caller.name for caller in self.get_hookcallers(plugin) or [])

    def records_entry_points(self) -> list[tuple[str, str]]:
        """Every entry point seen, loaded or not, in registration order."""
        return [(r.name, r.target) for r in self.records.values()]

    def loaded_files(self) -> list[str]:
        return [r.module_file for r in self.records.values() if r.module_file]


def _hook_that_raised(exc: BaseException) -> str | None:
    """The hook whose implementation raised `exc` during registration, if one did."""
    import traceback

    for frame, _ in reversed(list(traceback.walk_tb(exc.__traceback__))):
        name = frame.f_code.co_name
        if name in hookspecs.HOOK_NAMES and \
                not frame.f_globals.get("__name__", "").startswith("pluggy"):
            return name
    return None
