"""Site plugin packages installed for real and found through their entry points."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Home


def _env(home: Home, *sites: Path, **extra: str) -> dict[str, str]:
    return home.env(PYTHONPATH=":".join(str(s) for s in sites), **extra)


def test_plugin_adds_noun_verb_option_and_format(home: Home, test_plugin_site: Path) -> None:
    env = _env(home, test_plugin_site)
    top = home.run("help", env=env)
    assert "greet" in top.stdout and "--shout" in top.stdout

    hello = home.run("greet", "hello", "world", env=env)
    assert hello.returncode == 0, hello.stderr
    assert hello.stdout == "hello world\n"
    assert "greeting in progress" in hello.stderr  # progress goes to stderr

    shout_first = home.run("--shout", "greet", "hello", "world", env=env)
    assert shout_first.stdout == "HELLO WORLD\n"

    upper = home.run("greet", "hello", "world", "--output-format", "upper", env=env)
    assert upper.stdout == "HELLO WORLD\n"

    count = home.run("plugins", "count", env=env)
    listed = json.loads(home.run("plugins", "list", "--output-format", "json", env=env).stdout)
    loaded = sum(1 for p in listed if p["status"] == "loaded")
    assert count.returncode == 0 and count.stdout == f"{loaded} plugins loaded\n"


def test_site_formatter_replaces_builtin_by_name(home: Home, test_plugin_site: Path) -> None:
    env = _env(home, test_plugin_site)
    proc = home.run("greet", "hello", "x", "--write-json", "--shout", env=env)
    assert json.loads(proc.stdout) == {"replaced": "by the test plugin"}
    plain = home.run("greet", "hello", "x", "--write-json", env=env)
    assert json.loads(plain.stdout) == {"greeting": "hello x"}


def test_pre_execute_veto_and_post_execute(home: Home, test_plugin_site: Path,
                                           tmp_path: Path) -> None:
    marker = tmp_path / "post.log"
    env = _env(home, test_plugin_site, AURORA_TEST_POST_EXECUTE=str(marker))
    vetoed = home.run("greet", "hello", "mallory", env=env)
    assert vetoed.returncode == 4
    assert vetoed.stdout == ""
    assert "greeting mallory is against policy; greet someone else" in vetoed.stderr
    ok = home.run("greet", "hello", "alice", env=env)
    assert ok.returncode == 0
    assert marker.read_text().splitlines() == ["greet hello 4", "greet hello 0"]


def test_json_error_document_on_stdout(home: Home, test_plugin_site: Path) -> None:
    env = _env(home, test_plugin_site)
    proc = home.run("greet", "hello", "mallory", "--write-json", env=env)
    assert proc.returncode == 4
    assert json.loads(proc.stdout)["error"]["exit_code"] == 4


def test_plugins_list_names_distribution_version_hooks(home: Home,
                                                       test_plugin_site: Path) -> None:
    proc = home.run("plugins", "list", "--write-json", env=_env(home, test_plugin_site))
    rows = {row["name"]: row for row in json.loads(proc.stdout)}
    plugin = rows["testplugin"]
    assert plugin["distribution"] == "aurora-test-plugin"
    assert plugin["version"] == "1.2.3"
    assert plugin["builtin"] is False
    assert {"register_nouns", "register_verbs", "register_options", "pre_execute",
            "post_execute", "format_output"} <= set(plugin["hooks"])


def test_broken_plugins_are_skipped_with_one_line_warnings(home: Home, test_plugin_site: Path,
                                                          broken_plugin_site: Path) -> None:
    env = _env(home, test_plugin_site, broken_plugin_site)
    proc = home.run("greet", "hello", "world", env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "hello world\n"
    warnings = [line for line in proc.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 4, proc.stderr
    assert any("'broken-import' (distribution aurora-broken-plugin) failed to load: "
               "ModuleNotFoundError" in w for w in warnings)
    assert any("'broken-register' (distribution aurora-broken-plugin) raised in "
               "register_nouns: RuntimeError: registration exploded" in w for w in warnings)
    assert any("'broken-hookname' (distribution aurora-broken-plugin) implements hooks aurora "
               "does not define: register_nuons (misspelt?); skipped" in w
               for w in warnings)
    assert any("'broken-formats' (distribution aurora-broken-plugin) raised in "
               "register_output_formats: RuntimeError: formats exploded" in w for w in warnings)
    assert "Traceback" not in proc.stderr

    helped = home.run("help", env=env)
    assert "half" not in helped.stdout  # the half-registered noun was undone
    listing = json.loads(home.run("plugins", "list", "--write-json", env=env).stdout)
    status = {row["name"]: row["status"] for row in listing}
    assert status["broken-import"] == status["broken-register"] == "failed"
    assert status["broken-hookname"] == status["broken-formats"] == "failed"


def test_strict_mode_turns_broken_plugin_into_error(home: Home,
                                                    broken_plugin_site: Path) -> None:
    env = _env(home, broken_plugin_site, AURORA_PLUGINS_STRICT="1",
               AURORA_DISABLE_PLUGINS="broken-hookname,broken-formats")
    proc = home.run("plugins", "list", env=env)
    assert proc.returncode == 20
    assert "broken-import" in proc.stderr and "AURORA_PLUGINS_STRICT" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_disabling_a_broken_plugin_silences_it(home: Home, broken_plugin_site: Path) -> None:
    env = _env(home, broken_plugin_site,
               AURORA_DISABLE_PLUGINS="broken-import,broken-register,broken-hookname,"
                                      "broken-formats")
    proc = home.run("plugins", "list", env=env)
    assert proc.returncode == 0
    assert "warning" not in proc.stderr
    assert "disabled" in proc.stdout


def test_strict_mode_refuses_a_misspelt_hook(home: Home, broken_plugin_site: Path) -> None:
    env = _env(home, broken_plugin_site, AURORA_PLUGINS_STRICT="1",
               AURORA_DISABLE_PLUGINS="broken-import,broken-register,broken-formats")
    proc = home.run("plugins", "list", env=env)
    assert proc.returncode == 20
    assert "'broken-hookname'" in proc.stderr and "register_nuons" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_internal_error_is_one_line_and_exit_20(home: Home, tmp_path: Path) -> None:
    site = tmp_path / "site"
    pkg = site / "crashy_plugin"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(
        "from aurora.command import Noun, Verb\n"
        "from aurora.hookspecs import hookimpl\n"
        "class Boom(Verb):\n    name = 'boom'\n    help = 'crash'\n"
        "    def execute(self, context):\n        return 1 / 0\n"
        "class Crash(Noun):\n    name = 'crash'\n    help = 'crashes'\n"
        "@hookimpl\ndef register_nouns(cli):\n"
        "    n = Crash()\n    n.register_verb(Boom())\n    cli.register_noun(n)\n")
    dist = site / "crashy_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: crashy-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[aurora.plugins]\ncrashy = crashy_plugin\n")
    env = home.env(PYTHONPATH=str(site))
    proc = home.run("crash", "boom", env=env)
    assert proc.returncode == 20
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "plugin 'crashy' failed: ZeroDivisionError" in lines[0]
    verbose = home.run("crash", "boom", "--traceback", env=env)
    assert verbose.returncode == 20 and "Traceback (most recent call last)" in verbose.stderr


def test_ctrl_c_exits_130_without_traceback(home: Home, test_plugin_site: Path) -> None:
    import signal
    import subprocess

    from tests.conftest import aurora_bin

    proc = subprocess.Popen([aurora_bin(), "greet", "wait"], stderr=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=_env(home, test_plugin_site))
    assert proc.stderr is not None
    assert proc.stderr.readline().strip() == "waiting"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "interrupted" in err and "Traceback" not in err
