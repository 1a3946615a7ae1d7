"""A verb's own parser: misspelt options first, and waits that end at their deadline."""

from __future__ import annotations

import argparse
from types import SimpleNamespace

import pytest

from aurora import tasks as jobs
from aurora.cli import ArgumentParser, _ParserExit
from aurora.errors import UsageError
from aurora.jobkey import JobKey


def parser() -> ArgumentParser:
    made = ArgumentParser(prog="aurora job kill")
    made.add_argument("key")
    made.add_argument("words", nargs="*")
    made.add_argument("-m", "--message")
    made.add_argument("--wait-until")
    made.add_argument("--watch-secs")
    made.add_argument("--no-batching", action="store_true")
    return made


@pytest.mark.parametrize("argv", [
    ["k", "-m", "--force was needed"],      # a short option's value, with a space
    ["k", "--message", "--two words"],     # a long option's value, with a space
    ["k", "--message=--x"],
    ["k", "--version 2"],                   # a space: a word, as argparse sees it
    ["k", "--wait-u", "RUNNING"],           # a unique prefix
    ["k", "--", "--not-an-option"],         # after --, words only
    ["k", "-", "--no-batching"],
])
def test_what_argparse_accepts_is_accepted(argv: list[str]) -> None:
    assert isinstance(parser().parse_args(argv), argparse.Namespace)


def test_a_misspelt_option_is_reported_before_the_words_after_it() -> None:
    with pytest.raises(UsageError) as raised:
        parser().parse_args(["--wait-untl", "RUNNING", "k"])
    assert "unknown option '--wait-untl'; did you mean --wait-until?" in str(raised.value)


def test_help_still_wins_over_a_misspelt_option() -> None:
    with pytest.raises(_ParserExit) as shown:
        parser().parse_args(["--bogus", "--help"])
    assert shown.value.status == 0


def test_an_ambiguous_prefix_is_left_to_argparse() -> None:
    with pytest.raises(UsageError, match="ambiguous option: --w"):
        parser().parse_args(["k", "--w", "x"])


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.polls: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds


def test_a_wait_that_times_out_looks_once_more_at_its_deadline(monkeypatch) -> None:
    clock = FakeClock()

    def never_done(client, query, view):
        clock.polls.append(clock.now)
        clock.now += 0.05           # a poll takes a while
        return [SimpleNamespace(assignedTask=SimpleNamespace(instanceId=0), status=1,
                                taskEvents=[])]

    monkeypatch.setattr(jobs, "time", clock)
    monkeypatch.setattr("aurora.api.views.tasks_without_configs", never_done)
    key = JobKey("devcluster", "www-data", "prod", "hello")
    assert jobs.wait_for(object(), key, None, frozenset({2}), timeout=20.0) is False
    assert clock.polls[0] == 100.0 and clock.polls[1] == pytest.approx(100.15)
    assert clock.polls[-1] == pytest.approx(120.0)      # not up to 5 s early
    gaps = [b - a for a, b in zip(clock.polls, clock.polls[1:], strict=False)]
    assert max(gaps) <= 5.05
