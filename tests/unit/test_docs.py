"""Every hookspec is documented in docs/plugins.md with its exact signature."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from aurora import hookspecs

DOC = (Path(__file__).resolve().parents[2] / "docs" / "plugins.md").read_text()


def _signature(name: str) -> str:
    function = hookspecs.describe()[name]
    return f"{name}{inspect.signature(function)}".replace("'", "")


@pytest.mark.parametrize("name", hookspecs.HOOK_NAMES)
def test_hook_documented_with_its_signature(name: str) -> None:
    assert f"### `{_signature(name)}`" in DOC, f"docs/plugins.md lacks {_signature(name)}"


@pytest.mark.parametrize("name", hookspecs.HOOK_NAMES)
def test_hook_has_a_docstring_contract(name: str) -> None:
    assert (hookspecs.describe()[name].__doc__ or "").strip()


def test_every_declared_hookspec_is_listed() -> None:
    declared = {n for n, f in vars(hookspecs).items()
                if callable(f) and hasattr(f, "aurora_spec")}
    assert declared == set(hookspecs.HOOK_NAMES)


def test_ci_runs_the_readme_test_command_and_quick_start_files_exist() -> None:
    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [line for line in quick.splitlines() if line.startswith("python3 -m venv")]
    assert len(commands) == 2, "the Quick start has exactly two commands"
    ci = (root / ".ci" / "run").read_text().splitlines()
    assert commands[1] in ci, ".ci/run must run the README's test command"
    assert "docs/examples/hello_world.aurora" in commands[0]
    assert (root / "docs" / "examples" / "hello_world.aurora").exists()


def test_every_context_attribute_in_the_plugin_docs_exists() -> None:
    """The Context table of docs/plugins.md names only what ClientContext has."""
    import re

    from aurora.context import ClientContext

    text = (Path(__file__).resolve().parents[2] / "docs" / "plugins.md").read_text()
    table = text.split("## The Context a hook sees", 1)[1].split("\n## ", 1)[0]
    names = set(re.findall(r"`context\.(\w+)", table))
    assert {"cluster", "job_key", "instances", "config", "changes_state"} <= names
    missing = [n for n in names if not hasattr(ClientContext, n)
               and n not in ("noun", "verb", "options", "argv", "cli")]  # set per run
    assert not missing, missing
