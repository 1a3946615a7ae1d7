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
