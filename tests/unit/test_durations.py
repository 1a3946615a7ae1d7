"""Lengths of time on the command line (`aurora/durations.py`) and the `-o` short form."""

from __future__ import annotations

import pytest

from aurora.durations import seconds, seconds_option
from aurora.errors import ExitCode, InvalidParameter
from aurora.fastpath import option_arity, split
from aurora.plugins import sla


@pytest.mark.parametrize(("text", "expected"), [
    ("90", 90), ("90s", 90), ("2m", 120), ("1h3m10s", 3790), ("7d", 604800),
    ("1d2s", 86402), ("0", 0), (" 5m ", 300), ("10h", 36000),
])
def test_compound_lengths_of_time(text: str, expected: int) -> None:
    assert seconds(text) == expected


@pytest.mark.parametrize("text", ["", "s", "1x", "1m1h", "1h1h", "1.5m", "-1", "1h 3m",
                                  "\u0663", "3 m", "m3", "1hm"])
def test_garbage_is_not_a_length_of_time(text: str) -> None:
    assert seconds(text) is None


def test_seconds_option_refuses_garbage_with_exit_6() -> None:
    parse = seconds_option("--watch-secs")
    assert parse("1h3m10s") == 3790
    with pytest.raises(InvalidParameter) as refused:
        parse("soon")
    assert refused.value.exit_code == ExitCode.INVALID_PARAMETER
    assert "invalid --watch-secs 'soon'" in str(refused.value)
    assert "1h3m10s" in str(refused.value)
    with pytest.raises(InvalidParameter):
        seconds_option("--x", minimum=1)("0")


def test_sla_durations_accept_compound_items() -> None:
    assert sla.durations("1h3m10s,90,2m") == [90, 120, 3790]
    for bad in ("0", "0s", "1h,,2m", "1h3x"):
        with pytest.raises(InvalidParameter):
            sla.durations(bad)


def test_o_is_the_short_form_of_output_format() -> None:
    arity = option_arity({"-o": 1, "--output-format": 1, "-v": 0})
    assert arity("-o") == 1 and arity("-ojson") == 0 and arity("-vx") is None
    found = split(["-ojson", "job", "list", "k"], arity)
    assert (found.words, found.rest, found.unknown) == (["job", "list"], ["-ojson", "k"], None)
    found = split(["-o", "yaml", "job", "list"], arity)
    assert (found.words, found.rest) == (["job", "list"], ["-o", "yaml"])


def test_o_is_registered_as_a_global_option() -> None:
    from aurora.cli import _core_options

    names = {n for o in _core_options() for n in o.names}
    assert {"-o", "--output-format"} <= names
