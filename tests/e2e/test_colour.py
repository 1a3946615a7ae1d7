"""Task and update states in colour on a terminal (RUNNING green, FAILED red, PENDING
yellow); never through a pipe, never with NO_COLOR, never in JSON (docs/output.md)."""

from __future__ import annotations

import pytest

from tests.conftest import aurora_bin
from tests.support.devcluster import wait_for
from tests.support.jobs import job, process, statuses
from tests.support.terminal import on_a_terminal

GREEN_RUNNING = "\033[32mRUNNING\033[0m"


def on_a_tty(env: dict[str, str], *args: str) -> str:
    """What `aurora ARGS` writes to stdout when stdout is a pseudo-terminal."""
    screen = on_a_terminal([aurora_bin(), *args], env, timeout=60, stream="stdout")
    assert screen.code == 0, screen.piped
    return screen.text


@pytest.fixture(scope="module")
def running(devcluster):
    client = devcluster.client()
    config = job("colour", [process("sleeper", "sleep 600")])
    client.create_job(config)
    wait_for(lambda: statuses(client, config) == ["RUNNING"], what="colour RUNNING")
    yield "devcluster/www-data/test/colour"
    client.kill_tasks(config.key, None, "done")


def test_states_are_coloured_on_a_terminal(dev_home, running):
    text = on_a_tty(dev_home.env(), "job", "status", running)
    assert GREEN_RUNNING in text
    table = on_a_tty(dev_home.env(), "-o", "table", "job", "status", running)
    assert GREEN_RUNNING in table and "\033[1mJOB" in table      # header bold, state green


def test_no_colour_with_no_color_or_through_a_pipe_or_in_json(dev_home, running):
    assert "\033[" not in on_a_tty(dev_home.env(NO_COLOR="1"), "job", "status", running)
    assert "\033[" not in on_a_tty(dev_home.env(), "-o", "json", "job", "status", running)
    piped = dev_home.run("job", "status", running)
    assert piped.returncode == 0 and "RUNNING" in piped.stdout and "\033[" not in piped.stdout
