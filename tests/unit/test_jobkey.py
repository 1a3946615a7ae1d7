"""The one job-key parser: every accepted form and every rejection."""

from __future__ import annotations

import pytest

from aurora.errors import ExitCode, InvalidParameter
from aurora.jobkey import (
    JobKey,
    format_instances,
    instance_ranges,
    parse_instance_key,
    parse_instances,
    parse_job_key,
    parse_partial_key,
    parse_role_key,
    parse_task_instance,
)


def test_job_key_round_trip() -> None:
    key = parse_job_key("devcluster/www-data/prod/hello")
    assert key == JobKey("devcluster", "www-data", "prod", "hello")
    assert str(key) == "devcluster/www-data/prod/hello"
    assert key.path == "www-data/prod/hello"


@pytest.mark.parametrize("text, fragment", [
    ("devcluster/www-data/prod", "3 part(s) instead of 4"),
    ("a/b/c/d/e", "5 part(s) instead of 4"),
    ("devcluster/www data/prod/hello", "role 'www data'"),
    ("devcluster/r/pr$d/hello", "environment 'pr$d'"),
    ("devcluster/r/prod/h@llo", "name 'h@llo'"),
    ("/r/prod/hello", "the cluster is empty"),
    ("c//prod/hello", "the role is empty"),
    ("", "the job key is empty"),
])
def test_bad_job_keys_name_the_part_and_the_form(text: str, fragment: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        parse_job_key(text)
    assert fragment in str(info.value)
    assert info.value.exit_code == ExitCode.INVALID_PARAMETER == 6
    if text:
        assert "expected CLUSTER/ROLE/ENV/NAME" in str(info.value)


def test_identifiers_are_ascii_only() -> None:
    with pytest.raises(InvalidParameter):
        parse_job_key("c/r\u00f6le/prod/x")


@pytest.mark.parametrize("text", ["c/r/prod/hello\n", "c/r\n/prod/hello", "c/r/prod/x/1\n"])
def test_a_trailing_newline_is_not_part_of_an_identifier_or_instance(text: str) -> None:
    parse = parse_task_instance if text.count("/") == 4 else parse_job_key
    with pytest.raises(InvalidParameter):
        parse(text)


@pytest.mark.parametrize("text, expected", [
    ("0", (0,)),
    ("0-3,5,9", (0, 1, 2, 3, 5, 9)),
    ("4,1-2,0-0", (0, 1, 2, 4)),
    ("3,3,3", (3,)),
    ("", None),
])
def test_instance_lists(text: str, expected: tuple[int, ...] | None) -> None:
    assert parse_instances(text) == expected


@pytest.mark.parametrize("text, fragment", [
    ("4-1", "start is greater than the end; write it as 1-4"),
    ("1-2-3", "not a number or a range"),
    ("a", "not a number or a range"),
    ("-1", "not a number or a range"),
    ("1,,2", "not a number or a range"),
])
def test_bad_instance_lists(text: str, fragment: str) -> None:
    with pytest.raises(InvalidParameter, match="instance") as info:
        parse_instances(text)
    assert fragment in str(info.value)


def test_instance_key() -> None:
    assert parse_instance_key("c/r/e/n").instances is None
    assert parse_instance_key("c/r/e/n/").instances is None  # upstream: empty = all
    key = parse_instance_key("c/r/e/n/0-2,7")
    assert key.instances == (0, 1, 2, 7)
    assert str(key) == "c/r/e/n/0-2,7"
    with pytest.raises(InvalidParameter, match="4 or 5"):
        parse_instance_key("c/r/e")


def test_task_instance() -> None:
    assert parse_task_instance("c/r/e/n/3") == (JobKey("c", "r", "e", "n"), 3)
    with pytest.raises(InvalidParameter, match="not a non-negative integer"):
        parse_task_instance("c/r/e/n/1-2")
    with pytest.raises(InvalidParameter, match="instead of 5"):
        parse_task_instance("c/r/e/n")


def test_partial_keys_fill_missing_parts_with_globs() -> None:
    key = parse_partial_key("devcluster")
    assert str(key) == "devcluster/*/*/*" and not key.is_exact
    assert parse_partial_key("devcluster/www-data/prod/hello").is_exact
    pattern = parse_partial_key("devcluster/www-data/*/hello*")
    assert pattern.matches(JobKey("devcluster", "www-data", "prod", "hello_world"))
    assert not pattern.matches(JobKey("devcluster", "www-data", "prod", "bye"))
    assert parse_partial_key("c/r/e/job?").matches(JobKey("c", "r", "e", "job1"))
    assert parse_partial_key("c/r/e/job[12]").matches(JobKey("c", "r", "e", "job2"))
    assert not parse_partial_key("c/R/e/n").matches(JobKey("c", "r", "e", "n"))


def test_bad_partial_keys() -> None:
    with pytest.raises(InvalidParameter, match="at most 4"):
        parse_partial_key("a/b/c/d/e")
    with pytest.raises(InvalidParameter, match="pattern 'b\\$\\*'"):
        parse_partial_key("a/b$*")


def test_role_key() -> None:
    assert parse_role_key("west/www-data") == ("west", "www-data")
    for bad in ("west", "west/a/b", "/www-data"):
        with pytest.raises(InvalidParameter, match="CLUSTER/ROLE"):
            parse_role_key(bad)


def test_ranges() -> None:
    assert instance_ranges([0, 1, 2, 5, 8, 9]) == [(0, 2), (5, 5), (8, 9)]
    assert format_instances((0, 1, 2, 5)) == "0-2,5"
