"""The real `aurora` command: help, errors, exit codes and output selection."""

from __future__ import annotations

import json

from tests.conftest import Home


def test_bare_aurora_prints_usage_with_nouns(home: Home) -> None:
    for args in ([], ["help"], ["-h"], ["--help"]):
        proc = home.run(*args)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith("usage: aurora")
        assert "plugins" in proc.stdout
        assert proc.stderr == ""


def test_help_is_served_from_the_index_on_second_run(home: Home) -> None:
    first = home.run("help")
    second = home.run("help")
    assert first.stdout == second.stdout
    assert list((home.root / "cache" / "aurora-client").glob("commands-*.json"))


def test_help_noun_and_verb(home: Home) -> None:
    noun = home.run("help", "plugins")
    assert noun.returncode == 0
    assert "list" in noun.stdout and "usage: aurora plugins VERB" in noun.stdout
    assert home.run("plugins", "-h").stdout == noun.stdout
    verb = home.run("help", "plugins", "list")
    assert verb.returncode == 0
    assert "usage: aurora plugins list" in verb.stdout
    assert "--output-format" in verb.stdout
    assert home.run("plugins", "list", "--help").stdout == verb.stdout


def test_version_goes_to_stdout(home: Home) -> None:
    proc = home.run("--version")
    assert proc.returncode == 0
    from aurora import __version__

    assert proc.stdout.strip() == __version__


def test_unknown_verb_suggests_the_closest(home: Home) -> None:
    proc = home.run("plugins", "lst")
    assert proc.returncode == 5
    assert "unknown verb 'lst'" in proc.stderr
    assert "did you mean 'list'?" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_noun_exits_5(home: Home) -> None:
    proc = home.run("plugin", "list")
    assert proc.returncode == 5
    assert "unknown noun 'plugin'" in proc.stderr
    assert "did you mean 'plugins'?" in proc.stderr


def test_noun_without_verb_names_the_verbs(home: Home) -> None:
    proc = home.run("plugins")
    assert proc.returncode == 5
    assert "needs a verb" in proc.stderr and "list" in proc.stderr


def test_bad_option_exits_5_with_one_line_naming_the_help(home: Home) -> None:
    proc = home.run("plugins", "list", "--no-such-option")
    assert proc.returncode == 5
    assert proc.stderr == ("aurora: error: unknown option '--no-such-option'; see the options "
                           "with: aurora help plugins list\n")


def test_options_before_noun_and_after_verb(home: Home) -> None:
    before = home.run("--output-format", "json", "plugins", "list")
    after = home.run("plugins", "list", "--output-format=json")
    upstream = home.run("plugins", "list", "--write-json")
    assert before.returncode == after.returncode == upstream.returncode == 0
    assert json.loads(before.stdout) == json.loads(after.stdout) == json.loads(upstream.stdout)


def test_unknown_output_format_is_a_usage_error(home: Home) -> None:
    proc = home.run("plugins", "list", "--output-format", "xml")
    assert proc.returncode == 5
    assert "unknown output format 'xml'" in proc.stderr
    assert "text, json" in proc.stderr


def test_site_default_output_format_from_client_toml(home: Home) -> None:
    home.write_client_config('[output]\nformat = "json"\n', user=False)
    proc = home.run("plugins", "list")
    assert proc.returncode == 0
    names = {row["name"] for row in json.loads(proc.stdout)}
    assert {"formats", "plugins"} <= names


def test_malformed_client_toml_names_file_and_line(home: Home) -> None:
    path = home.write_client_config('[output]\nformat = \n')
    proc = home.run("plugins", "list")
    assert proc.returncode == 3
    assert str(path) in proc.stderr and "line 2" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_plugins_list_shows_builtins(home: Home) -> None:
    proc = home.run("plugins", "list", "--write-json")
    rows = {row["name"]: row for row in json.loads(proc.stdout)}
    assert rows["formats"]["distribution"] == "aurora-client-v2"
    assert rows["formats"]["status"] == "loaded"
    assert "format_output" in rows["formats"]["hooks"]


def test_disabled_builtin_noun_disappears_from_help(home: Home) -> None:
    env = home.env(AURORA_DISABLE_PLUGINS="plugins")
    proc = home.run("help", env=env)
    assert proc.returncode == 0
    assert "plugins" not in proc.stdout.split("commands:")[0]
    gone = home.run("plugins", "list", env=env)
    assert gone.returncode == 5
    home.write_client_config('[plugins]\ndisable = ["plugins"]\n')
    assert "plugins  " not in home.run("help").stdout


def test_python_dash_m_aurora(home: Home) -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "aurora", "--version"], capture_output=True,
                          text=True, env=home.env())
    assert proc.returncode == 0 and proc.stdout.strip()


def test_unique_prefix_of_a_global_option(home: Home) -> None:
    proc = home.run("--output", "json", "plugins", "list")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)


def _run_on_tty(home: Home, env: dict[str, str]) -> str:
    from tests.conftest import aurora_bin
    from tests.support.terminal import on_a_terminal

    screen = on_a_terminal([aurora_bin(), "plugins", "list"], env, timeout=60,
                           stream="stdout")
    assert screen.code == 0, screen.piped
    return screen.text


def test_colour_only_on_a_tty_and_never_with_no_color(home: Home) -> None:
    assert "\033[" not in home.run("plugins", "list").stdout
    assert "\033[1m" in _run_on_tty(home, home.env())
    assert "\033[" not in _run_on_tty(home, home.env(NO_COLOR="1"))


def test_every_command_line_error_is_one_line_with_the_help_to_run(home: Home) -> None:
    cases = {
        ("job", "status", "devcluster", "--timeout", "nan"): "argument --timeout",
        ("quota", "set", "devcluster/www-data", "--disk", "5GB"): "required: --cpus, --ram",
        ("job", "status", "devcluster", "--wait-untl", "x"): "unknown option '--wait-untl'",
    }
    for argv, complaint in cases.items():
        done = home.run(*argv)
        assert done.returncode == 5, done.stderr
        (line,) = done.stderr.strip().splitlines()
        verb = " ".join(argv[:2])
        assert complaint in line and line.endswith(f"see the options with: aurora help {verb}")
    # Leading dashes are no likeness: job status has nothing like --wait-untl.
    assert "did you mean" not in home.run("job", "status", "devcluster", "--wait-untl").stderr
