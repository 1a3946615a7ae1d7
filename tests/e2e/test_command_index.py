"""What the command index answers on its own is what a full start answers."""

from __future__ import annotations

import json

from tests.conftest import Home


def index_of(home: Home) -> dict:
    files = list((home.root / "cache" / "aurora-client").glob("commands-*.json"))
    assert len(files) == 1
    return json.loads(files[0].read_text())


def test_verb_help_from_the_index_matches_a_full_start(home: Home) -> None:
    first = home.run("job", "create", "--help")      # full start; page stored
    assert first.returncode == 0 and first.stdout.startswith("usage: aurora job create")
    assert any(k.startswith("job create ") for k in index_of(home)["verb_help"])
    for args in (("help", "job", "create"), ("job", "create", "-h"),
                 ("job", "create", "--help")):
        again = home.run(*args)
        assert (again.returncode, again.stdout, again.stderr) == (0, first.stdout, "")


def test_verb_help_is_rendered_again_for_another_terminal_width(home: Home) -> None:
    wide = home.run("help", "job", "create")
    narrow = home.run("help", "job", "create", env=home.env(COLUMNS="50"))
    assert narrow.returncode == 0 and narrow.stdout != wide.stdout
    assert home.run("help", "job", "create", env=home.env(COLUMNS="50")).stdout == narrow.stdout
    assert home.run("help", "job", "create").stdout == wide.stdout


def test_unknown_noun_from_the_index_matches_a_full_start(home: Home) -> None:
    fresh = home.run("jbo", "status")
    cached = home.run("jbo", "status")
    assert (fresh.returncode, fresh.stderr) == (5, "aurora: error: unknown noun 'jbo'; "
                                                   "did you mean 'job'?\n")
    assert (cached.returncode, cached.stdout, cached.stderr) == (5, "", fresh.stderr)


def test_the_index_records_which_plugins_a_noun_needs(home: Home) -> None:
    home.run("help")
    commands = index_of(home)["commands"]
    assert commands["nouns"]["job"] == ["job"]
    assert "prepare_request" in commands["plugins"]["auth"]
    assert commands["options"]["--output-format"] == 1
    assert commands["options"]["--verbose"] == 0


def test_plugins_list_sees_every_plugin_after_a_partial_start(home: Home) -> None:
    full = home.run("plugins", "list", "--output-format", "json")
    partial = home.run("plugins", "list", "--output-format", "json")
    assert full.returncode == partial.returncode == 0
    assert json.loads(full.stdout) == json.loads(partial.stdout)
    assert {p["status"] for p in json.loads(partial.stdout)} == {"loaded"}
