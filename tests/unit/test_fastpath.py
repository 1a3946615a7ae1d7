"""The one argv splitter and the index answers built on it."""

from __future__ import annotations

import pytest

from aurora import fastpath
from aurora.fastpath import help_topic, option_arity, split, verb_help_words

OPTIONS = {"--output-format": 1, "--write-json": 0, "-v": 0, "--verbose": 0,
           "--ca-bundle": 1, "--connect-timeout": 1, "--timeout": 1}
ARITY = option_arity(OPTIONS)


@pytest.mark.parametrize(("argv", "words", "rest", "wants_help", "unknown"), [
    (["job", "status", "k"], ["job", "status"], ["k"], False, None),
    (["-v", "job", "status", "k"], ["job", "status"], ["-v", "k"], False, None),
    (["--output-format", "json", "job", "list"], ["job", "list"],
     ["--output-format", "json"], False, None),
    (["--output-format=json", "job", "list"], ["job", "list"], ["--output-format=json"],
     False, None),
    (["--write", "job", "list"], ["job", "list"], ["--write"], False, None),  # unique prefix
    (["--c", "3", "job"], [], [], False, "--c"),           # ambiguous prefix
    (["job", "--nope", "status"], ["job"], [], False, "--nope"),
    (["-h", "job"], ["job"], [], True, None),
    (["help", "job", "-x", "create"], ["help", "job", "create"], [], True, None),
    (["job", "create", "-h"], ["job", "create"], ["-h"], False, None),
    ([], [], [], False, None),
])
def test_split(argv, words, rest, wants_help, unknown) -> None:
    found = split(argv, ARITY)
    assert (found.words, found.rest, found.wants_help, found.unknown) == \
        (words, rest, wants_help, unknown)


def test_option_arity() -> None:
    assert ARITY("--ca-bundle") == 1
    assert ARITY("--ca-bundle=x") == 0
    assert ARITY("--ca") == 1
    assert ARITY("--nope") is None
    assert ARITY("-x") is None


@pytest.mark.parametrize(("argv", "expected"), [
    (["help", "job", "create"], ("job", "create")),
    (["job", "create", "-h"], ("job", "create")),
    (["job", "create", "--help"], ("job", "create")),
    (["-h", "job", "create"], None),
    (["job", "create", "x"], None),
    (["help", "-v", "job"], None),
    (["help", "job", "create", "x"], None),
])
def test_verb_help_words(argv, expected) -> None:
    assert verb_help_words(argv) == expected


@pytest.mark.parametrize(("argv", "expected"), [
    ([], []), (["help"], []), (["-h"], []), (["--help"], []),
    (["help", "job"], ["job"]), (["job", "-h"], ["job"]), (["-h", "job"], ["job"]),
    (["job"], None), (["help", "-v"], None), (["job", "status"], None),
    (["help", "job", "create"], None),
])
def test_help_topic(argv, expected) -> None:
    assert help_topic(argv) == expected


def test_flags() -> None:
    assert fastpath.flags(["job", "status", "--version"])["version"]
    assert not fastpath.flags(["help", "--version"])["version"]
    assert fastpath.flags(["-v", "job"])["verbose"]
    assert fastpath.flags(["job", "--traceback"])["traceback"]


def test_plugins_needed_skips_leading_global_options() -> None:
    data = {"commands": {"options": OPTIONS, "failed": [],
                         "nouns": {"job": ["job"], "quota": ["quota"]},
                         "plugins": {"job": ["register_nouns"], "quota": ["register_nouns"],
                                     "formats": ["format_output"]}}}
    assert fastpath.plugins_needed(data, ["--output-format", "json", "job", "list"]) == \
        {"job", "formats"}
    assert fastpath.plugins_needed(data, ["--bogus", "job"]) is None


def test_plugins_use_the_cores_public_api_only() -> None:
    """Built-in plugins (completion among them) are written as a site's would be."""
    import re
    from pathlib import Path

    private = re.compile(r"\b(cli|context|manager|plugins)\._[a-z]")
    root = Path(__file__).resolve().parents[2] / "plugins"
    found = [f"{path.relative_to(root)}:{number}"
             for path in sorted(root.rglob("*.py"))
             for number, line in enumerate(path.read_text().splitlines(), 1)
             if private.search(line)]
    assert found == []
