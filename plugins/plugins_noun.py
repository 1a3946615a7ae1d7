"""The `plugins` noun: what is installed, where it comes from, and what it hooks.

`aurora plugins list` shows every entry point in the `aurora.plugins` group,
loaded, disabled or broken, with its distribution, version and hooks.
"""

from __future__ import annotations

from typing import Any

from aurora.command import Context, Noun, Verb
from aurora.hookspecs import hookimpl
from aurora.output import Result
from aurora.plugin_manager import distributions

COLUMNS = ["name", "distribution", "version", "status", "hooks", "entry_point", "reason"]


class ListPlugins(Verb):
    name = "list"
    help = "List installed plugins with their distribution, version, status and hooks."

    def execute(self, context: Context) -> Result:
        context.cli.load_all()          # every plugin, also those this run deferred
        manager = context.cli.plugins
        dists = distributions()
        rows: list[dict[str, Any]] = []
        for record in manager.records.values():
            dist, version = dists.get((record.name, record.target), ("?", "?"))
            rows.append({
                "name": record.name,
                "distribution": dist,
                "version": version,
                "status": record.status,
                "builtin": record.builtin,
                "hooks": manager.hooks_of(record.name),
                "entry_point": record.target,
                "reason": record.reason,
            })
        return Result(data=rows, columns=COLUMNS)


class PluginsNoun(Noun):
    name = "plugins"
    help = "Show the client plugins that are installed."


@hookimpl
def register_nouns(cli: Any) -> None:
    cli.register_noun(PluginsNoun().with_verbs(ListPlugins()))
