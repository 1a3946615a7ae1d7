"""A newcomer finds a verb from its name: docs/architecture.md's table says where each lives."""

from __future__ import annotations

import importlib
import inspect
import re
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from aurora.command import LazyVerb

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
    verb = verb.verb if isinstance(verb, LazyVerb) else verb    # the class it imports
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


def test_a_lazy_verb_imports_its_module_only_when_used() -> None:
    import subprocess
    import sys

    code = ("import sys; from tests.unit.test_verb_files import _registered_verbs; "
            "verbs = _registered_verbs(); "
            "assert 'aurora.plugins.job.diff' not in sys.modules, 'imported early'; "
            "verbs[('job', 'diff')].options; "
            "assert 'aurora.plugins.job.diff' in sys.modules; print('ok')")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.stdout == "ok\n", done.stderr


def test_a_lazy_verb_registered_under_another_name_says_so() -> None:
    import pytest

    wrong = LazyVerb("status", "aurora.plugins.job.diff:DiffJob")
    with pytest.raises(ValueError, match="is verb 'diff', registered as 'status'"):
        wrong.help  # noqa: B018
