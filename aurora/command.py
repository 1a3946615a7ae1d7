"""The noun/verb model: `Noun`, `Verb`, `CommandOption` and the per-run `Context`.

A plugin defines nouns and verbs as plain classes that declare their options as
data; the `CommandLine` turns the declarations into an argparse parser only for
the verb that actually runs. Verbs import anything heavy inside `execute`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from aurora.output import Result, emit_err

if TYPE_CHECKING:
    from aurora.settings import ClientSettings


class CommandOption:
    """One argparse argument, declared as data: `CommandOption('--batch-size', type=int)`."""

    def __init__(self, *names: str, **kwargs: Any):
        if not names:
            raise ValueError("an option needs at least one name")
        self.names = names
        self.kwargs = kwargs

    @property
    def is_positional(self) -> bool:
        return not self.names[0].startswith("-")

    @property
    def takes_value(self) -> bool:
        action = self.kwargs.get("action", "store")
        return not self.is_positional and action in ("store", "append", "extend")

    @property
    def help(self) -> str:
        return self.kwargs.get("help", "")

    @property
    def dest(self) -> str:
        if "dest" in self.kwargs:
            return self.kwargs["dest"]
        long = next((n for n in self.names if n.startswith("--")), self.names[0])
        return long.lstrip("-").replace("-", "_")

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(*self.names, **self.kwargs)

    def __repr__(self) -> str:
        return f"CommandOption{self.names!r}"


class Verb:
    """An action on a noun. Subclasses set `name`, `help`, `options` and `execute`.

    `execute` returns a `Result` (or an int exit code when there is nothing to
    show) and raises `aurora.errors.AuroraError` subclasses for failures.
    """

    name: str = ""
    help: str = ""
    description: str | None = None  # longer text for `aurora help NOUN VERB`
    options: Sequence[CommandOption] = ()
    changes_state: bool = False     # True for verbs that change a cluster (policy hooks read it)

    def execute(self, context: Context) -> Result | int:
        raise NotImplementedError


class LazyVerb(Verb):
    """A verb known by its name now and imported from `target` ("module:Class") when
    anything else about it is needed.

    Running one verb of a noun then imports that verb's module only, not its
    siblings'. Help pages, completion and the command index read `help`,
    `description` and `options`, which import it then.
    """

    def __init__(self, name: str, target: str):
        self.name = name
        self.target = target
        self._verb: Verb | None = None

    @property
    def verb(self) -> Verb:
        """The verb itself, imported on first use."""
        if self._verb is None:
            import importlib

            module, _, attribute = self.target.partition(":")
            verb = getattr(importlib.import_module(module), attribute)()
            if verb.name != self.name:
                raise ValueError(f"{self.target} is verb '{verb.name}', registered as "
                                 f"'{self.name}'")
            self._verb = verb
        return self._verb

    help = property(lambda self: self.verb.help)                 # type: ignore[assignment]
    description = property(lambda self: self.verb.description)   # type: ignore[assignment]
    options = property(lambda self: self.verb.options)           # type: ignore[assignment]
    changes_state = property(                                    # type: ignore[assignment]
        lambda self: self.verb.changes_state)

    def execute(self, context: Context) -> Result | int:
        return self.verb.execute(context)

    def __getattr__(self, attribute: str) -> Any:   # what a verb class adds of its own
        if attribute.startswith("__") or attribute in ("_verb", "target", "name"):
            raise AttributeError(attribute)
        return getattr(self.verb, attribute)


class Noun:
    """A group of verbs (`job`, `cron`, ...). Verbs may come from other plugins."""

    name: str = ""
    help: str = ""

    def __init__(self) -> None:
        self.verbs: dict[str, Verb] = {}

    def register_verb(self, verb: Verb) -> None:
        self.verbs[verb.name] = verb

    def with_verbs(self, *verbs: Verb) -> Noun:
        """Register `verbs` and return the noun: `cli.register_noun(Job().with_verbs(...))`."""
        for verb in verbs:
            self.register_verb(verb)
        return self

    def with_lazy_verbs(self, package: str, verbs: dict[str, str]) -> Noun:
        """Register each verb name -> "module:Class" (in `package`) as a LazyVerb."""
        return self.with_verbs(*(LazyVerb(name, f"{package}.{target}")
                                 for name, target in verbs.items()))


class Commands(Protocol):
    """What a run's Context reads from the `aurora.cli.CommandLine` that made it."""

    settings: ClientSettings
    plugins: Any              # aurora.plugin_manager.PluginManager
    nouns: dict[str, Noun]


class Context:
    """What the framework gives one command run: its noun, verb, options and argv,
    settings, per-run services and stderr. The client's own services (clusters,
    scheduler clients) are added by `aurora.context.ClientContext`, the Context every
    `aurora` command gets.

    Services are built on first use so a command only pays for what it touches.
    """

    def __init__(self, cli: Commands, noun: Noun, verb: Verb,
                 options: argparse.Namespace, argv: Sequence[str]):
        self.cli = cli
        self.noun = noun
        self.verb = verb
        self.options = options
        self.argv = list(argv)
        self._services: dict[tuple[str, str], Any] = {}

    @property
    def settings(self) -> ClientSettings:
        return self.cli.settings

    @property
    def output_format(self) -> str:
        return self.options.output_format

    @property
    def verbose(self) -> bool:
        return self.options.verbose

    def service(self, kind: str, key: str, factory: Callable[[], Any]) -> Any:
        """Build a service once per run (e.g. one scheduler client per cluster)."""
        if (kind, key) not in self._services:
            self._services[(kind, key)] = factory()
        return self._services[(kind, key)]

    def print_stderr(self, message: str) -> None:
        """Human progress ("Creating job ...") and warnings, on stderr: stdout is kept for
        the command's result, so scripts can read it."""
        emit_err(message)

    # Upstream's names, kept for site plugins; both write to stderr.
    print_out = print_stderr
    print_err = print_stderr

    def close(self) -> None:
        """Release services (HTTP sessions, tunnels) at the end of the run."""
        for service in reversed(list(self._services.values())):
            closer = getattr(service, "close", None)
            if callable(closer):
                try:
                    closer()
                except Exception:  # noqa: BLE001 - cleanup must not mask the result
                    pass
        self._services.clear()
