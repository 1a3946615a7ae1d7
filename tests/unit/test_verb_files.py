"""A newcomer finds a verb from its name: docs/architecture.md's table says where each lives."""

from __future__ import annotations

import importlib
import inspect
import re
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TABLE_ROW = re.compile(r"^\| `(\w[\w-]*) (\w[\w-]*)` +\| `([\w/.]+)` +\|", re.M)


class _Collector:
    """Stands in for the CommandLine: records what the built-in plugins register."""

    def __init__(self) -> None:
        self.nouns: dict[str, Any] = {}

    def register_noun(self, noun: Any) -> None:
        self.nouns[noun.name] = noun

    def add_verb(self, noun_name: str, verb: Any) -> None:
        self.nouns[noun_name].register_verb(verb)

    def __getattr__(self, name: str) -> Any:     # other registration calls are not ours
        return lambda *args, **kwargs: None


def _registered_verbs() -> dict[tuple[str, str], Any]:
    cli = _Collector()
    modules = [importlib.import_module(ep.value) for ep in entry_points(group="aurora.plugins")
               if ep.value.startswith("aurora.plugins.")]
    for hook in ("register_nouns", "register_verbs"):
        for module in modules:
            if hasattr(module, hook):
                getattr(module, hook)(cli)
    return {(noun.name, verb): cls for noun in cli.nouns.values()
            for verb, cls in noun.verbs.items()}


def _source_file(verb: Any) -> str:
    return Path(inspect.getsourcefile(type(verb))).resolve().relative_to(ROOT).as_posix()


def test_every_verb_lives_where_the_table_says_or_in_a_module_named_after_it() -> None:
    table = {(noun, verb): path for noun, verb, path in
             TABLE_ROW.findall((ROOT / "docs" / "architecture.md").read_text())}
    verbs = _registered_verbs()
    assert len(verbs) > 30, "the built-in plugins registered their verbs"
    for (noun, name), verb in verbs.items():
        where = _source_file(verb)
        assert (noun, name) in table, f"docs/architecture.md lacks a row for `{noun} {name}`"
        assert where == table[(noun, name)], f"`{noun} {name}` lives in {where}"
        stem = Path(where).stem
        assert stem == name or stem.startswith(noun), (
            f"`{noun} {name}` lives in {where}: neither named after the verb nor its noun")
    assert set(table) == set(verbs), "the table names verbs that do not exist"
