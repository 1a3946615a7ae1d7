"""Upstream-style command hooks veto with whatever status they return."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from aurora.command_hooks import CommandHook, as_plugin
from aurora.errors import AuroraError, ExitCode


class Refuse(CommandHook):
    name = "refuse"
    nouns = {"job": {"*"}}

    def __init__(self, code: int):
        self.code = code

    def pre_command(self, noun, verb, context, argv):
        return self.code


def context() -> SimpleNamespace:
    return SimpleNamespace(noun=SimpleNamespace(name="job"), verb=SimpleNamespace(name="kill"),
                           argv=["job", "kill"])


@pytest.mark.parametrize("code", [1, 2, 4, 42])
def test_a_pre_command_status_becomes_the_exit_code(code: int) -> None:
    with pytest.raises(AuroraError) as caught:
        as_plugin(Refuse(code)).pre_execute(context())
    assert int(caught.value.exit_code) == code
    assert "refuse" in str(caught.value)


def test_known_statuses_keep_their_name() -> None:
    with pytest.raises(AuroraError) as caught:
        as_plugin(Refuse(4)).pre_execute(context())
    assert caught.value.exit_code is ExitCode.COMMAND_FAILURE


def test_zero_lets_the_command_run() -> None:
    assert as_plugin(Refuse(0)).pre_execute(context()) is None
