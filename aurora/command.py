"""The noun/verb model: `Noun`, `Verb`, `CommandOption` and the per-run `Context`.

A plugin defines nouns and verbs as plain classes that declare their options as
data; the `CommandLine` turns the declarations into an argparse parser only for
the verb that actually runs. Verbs import anything heavy inside `execute`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from aurora.errors import ConfigurationError
from aurora.output import Result, emit_err

if TYPE_CHECKING:
    from aurora.cli import CommandLine
    from aurora.clusters import Cluster
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

    def get_options(self) -> Sequence[CommandOption]:
        return self.options

    def execute(self, context: Context) -> Result | int:
        raise NotImplementedError


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

    def create_context(self, cli: CommandLine, verb: Verb, options: argparse.Namespace,
                       argv: Sequence[str]) -> Context:
        """Build the context a verb runs in; a noun may return a richer subclass."""
        return Context(cli, self, verb, options, argv)


class Context:
    """Everything one command run needs: options, clusters, settings, services.

    Services (cluster table, scheduler clients, config loader) are built on first
    use so a command only pays for what it touches.
    """

    def __init__(self, cli: CommandLine, noun: Noun, verb: Verb,
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
        return bool(getattr(self.options, "verbose", False))

    @cached_property
    def clusters(self) -> dict[str, Cluster]:
        from aurora.clusters import load_clusters

        return load_clusters()

    def get_cluster(self, name: str) -> Cluster:
        """The named cluster, or exit 3 naming the known ones."""
        try:
            return self.clusters[name]
        except KeyError:
            known = ", ".join(sorted(self.clusters)) or "none"
            raise ConfigurationError(
                f"Unknown cluster: {name}",
                hint=f"known clusters are {known}; add it to clusters.json",
            ) from None

    def scheduler(self, cluster_name: str) -> Any:
        """The SchedulerClient for `cluster_name`, built on first use and kept for the run."""
        from aurora.connect import scheduler_for

        return scheduler_for(self, cluster_name)

    def service(self, kind: str, key: str, factory: Callable[[], Any]) -> Any:
        """Build a service once per run (e.g. one scheduler client per cluster)."""
        if (kind, key) not in self._services:
            self._services[(kind, key)] = factory()
        return self._services[(kind, key)]

    def print_out(self, message: str) -> None:
        """Human progress ("Creating job ...") on stderr; stdout stays for results."""
        emit_err(message)

    def print_err(self, message: str) -> None:
        """Warnings and non-fatal errors, on stderr."""
        emit_err(message)

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
