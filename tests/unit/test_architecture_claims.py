"""The claims of docs/architecture.md about argv, plugins, verbs and layers, checked.

Each test names the claim it keeps; most read the source with ast, the plugin
ones run the real plugin manager and command line.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import types
from pathlib import Path

import pytest

from aurora.cli import CommandLine
from aurora.command import Noun, Verb
from aurora.hookspecs import hookimpl
from aurora.plugin_manager import PluginManager, PluginRecord
from aurora.settings import ClientSettings

ROOT = Path(__file__).resolve().parents[2]
GRAMMAR = "aurora/grammar.py"
ARGV_MARKERS = {"--", "-h", "--help"}


def _prints_ok_in_a_fresh_interpreter(code: str) -> None:
    """Run `code` in a new Python (imports and installs start from nothing) and expect
    it to print `ok`."""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.stdout == "ok\n", done.stderr[-2000:]


def _sources(*tops: str) -> list[Path]:
    return sorted(p for top in tops for p in (ROOT / top).rglob("*.py")
                  if "devcluster" not in p.parts)


def _argv_marker_uses(tree: ast.AST) -> list[int]:
    """Lines comparing a token with `--`, `-h` or `--help` (what cutting argv needs)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            values = [node.left, *node.comparators]
            if any(isinstance(v, ast.Constant) and v.value in ARGV_MARKERS for v in values):
                found.append(node.lineno)
        if isinstance(node, ast.Tuple) and any(
                isinstance(e, ast.Constant) and e.value in ("-h", "--help") for e in node.elts):
            found.append(node.lineno)
    return found


def test_the_marker_check_sees_a_splitter() -> None:
    assert _argv_marker_uses(ast.parse("for t in argv:\n    if t == '--': break\n")) == [2]


def test_only_the_grammar_cuts_argv() -> None:
    """One argv grammar: nothing else tells options, `--` and help flags apart."""
    offenders = [f"{p.relative_to(ROOT)}:{line}" for p in _sources("aurora", "plugins")
                 if p.relative_to(ROOT).as_posix() != GRAMMAR
                 for line in _argv_marker_uses(ast.parse(p.read_text()))]
    assert not offenders, f"cut argv through aurora/grammar.py instead: {offenders}"
    for user in ("aurora/fastpath.py", "aurora/cli.py", "plugins/completion.py"):
        imports = [node for node in ast.walk(ast.parse((ROOT / user).read_text()))
                   if isinstance(node, ast.ImportFrom) and (node.module == "aurora.grammar" or
                   node.module == "aurora" and any(a.name == "grammar" for a in node.names))]
        assert imports, f"{user} must cut argv with the grammar"


# -- every registration hook is isolated -----------------------------------------------
class _Greet(Noun):
    name = "greet"
    help = "greetings"


class _Hello(Verb):
    name = "hello"
    help = "say hello"


def _plugin(name: str, hook: str | None) -> types.ModuleType:
    """A plugin registering a noun, a verb, an option and a format, raising in `hook`."""
    from aurora.command import CommandOption

    module = types.ModuleType(name)

    def boom(here: str) -> None:
        if here == hook:
            raise RuntimeError(f"{name} exploded")

    def register_nouns(cli):
        cli.register_noun(type(f"{name}N", (_Greet,), {"name": name})())
        boom("register_nouns")

    def register_verbs(cli):
        cli.add_verb(name, _Hello())
        boom("register_verbs")

    def register_options(cli):
        cli.add_global_option(CommandOption(f"--{name}-flag", action="store_true"))
        boom("register_options")

    def register_output_formats():
        boom("register_output_formats")
        return [f"{name}-format"]

    for function in (register_nouns, register_verbs, register_options, register_output_formats):
        setattr(module, function.__name__, hookimpl(function))
    return module


def _command_line(plugins: dict[str, types.ModuleType]) -> CommandLine:
    manager = PluginManager()
    cli = CommandLine(ClientSettings(), manager)
    for name, module in plugins.items():
        manager.records[name] = record = PluginRecord(name, f"{name}:plugin")
        sys.modules[f"{name}"] = module
        record.target = name
        manager.load_one(record)
    cli.settle()
    return cli


@pytest.mark.parametrize("hook", ["register_nouns", "register_verbs", "register_options",
                                  "register_output_formats"])
def test_a_plugin_raising_in_any_registration_hook_fails_alone(hook: str, capsys) -> None:
    cli = _command_line({"good": _plugin("good", None), "bad": _plugin("bad", hook)})
    assert cli.plugins.records["bad"].status == "failed"
    assert f"raised in {hook}" in cli.plugins.records["bad"].reason
    assert "good" in cli.nouns and "bad" not in cli.nouns       # all of bad's work undone
    assert "good-format" in cli.output_formats and "bad-format" not in cli.output_formats
    names = {n for o in cli.global_options for n in o.names}
    assert "--good-flag" in names and "--bad-flag" not in names
    assert "plugin 'bad'" in capsys.readouterr().err


def test_a_plugin_loaded_late_is_registered_as_it_loads() -> None:
    cli = _command_line({"early": _plugin("early", None)})
    record = PluginRecord("late", "late")
    cli.plugins.records["late"] = record
    record.status = "deferred"
    sys.modules["late"] = _plugin("late", None)
    cli.load_all()
    assert "late" in cli.nouns and "hello" in cli.nouns["late"].verbs
    assert cli.output_formats[:2] == ["late-format", "early-format"]


def test_a_verb_may_register_before_its_noun() -> None:
    module = types.ModuleType("adds")

    def register_verbs(cli):
        cli.add_verb("zzz", type("Bye", (_Hello,), {"name": "bye"})())
    module.register_verbs = hookimpl(register_verbs)
    cli = _command_line({"adds": module, "zzz": _plugin("zzz", None)})
    assert cli.plugins.records["adds"].status == "loaded"
    assert {"hello", "bye"} <= set(cli.nouns["zzz"].verbs)


# -- import-time side effects ----------------------------------------------------------
def test_importing_the_client_installs_nothing() -> None:
    """No import-time side effects outside the two entry points (`__main__` modules)."""
    modules = sorted(p.relative_to(ROOT).with_suffix("").as_posix().replace("/", ".")
                     for p in (ROOT / "aurora").rglob("*.py")
                     if p.name not in ("__main__.py", "testing.py")   # (a pytest plugin)
                     and "pages" not in p.parts)
    code = (
        "import sys, gc, signal\n"
        "before = (list(sys.meta_path), list(sys.path_hooks), gc.get_threshold(),"
        " signal.getsignal(signal.SIGINT))\n"
        f"for name in {modules!r}:\n"
        "    __import__(name.replace('.__init__', ''))\n"
        "after = (list(sys.meta_path), list(sys.path_hooks), gc.get_threshold(),"
        " signal.getsignal(signal.SIGINT))\n"
        "assert before == after, (before, after)\n"
        "fake = [n for n, m in sys.modules.items() if m is not None and"
        " (type(m).__name__ != 'module' or n.startswith('thriftpy2') and"
        " getattr(m, '__loader__', None) is None) and not n.startswith('typing.')]\n"
        "assert not fake, fake\n"
        "from aurora.api import thrift_seam\n"
        "assert not thrift_seam._active, thrift_seam._active\n"
        "print('ok')\n")
    _prints_ok_in_a_fresh_interpreter(code)


# -- verbs are leaves ------------------------------------------------------------------
def _verb_modules() -> dict[str, Path]:
    """module name -> file of every built-in verb module (the nouns' verb maps)."""
    from tests.unit.test_verb_files import _registered_verbs, _source_file

    files = {_source_file(verb) for verb in _registered_verbs().values()}
    return {f[:-3].replace("/", ".").replace("plugins.", "aurora.plugins.", 1): ROOT / f
            for f in files}


def test_no_verb_module_imports_another_verb_module() -> None:
    verbs = _verb_modules()
    offenders = []
    for name, path in verbs.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module in verbs \
                    and node.module != name:
                offenders.append(f"{name} imports {node.module}")
    assert not offenders, f"share through the noun's common module: {offenders}"


# -- layers ----------------------------------------------------------------------------
FRAMEWORK = ("cli", "command", "hookspecs", "command_hooks", "plugin_manager", "output",
             "errors", "index", "helptext", "grammar", "fastpath", "spelling", "jsontext")
DOMAIN = ("connect", "discovery", "clusters", "jobkey", "job_file_hooks", "jobs", "tasks",
          "weblinks", "thrift_json", "api", "config", "devcluster")


def test_the_cli_framework_knows_nothing_of_the_client_domain() -> None:
    """The framework (dispatch, nouns and verbs, hooks, plugins, output, errors) imports
    no domain module: a verb author can read it on its own."""
    offenders = []
    for name in FRAMEWORK:
        tree = ast.parse((ROOT / "aurora" / f"{name}.py").read_text())
        for node in ast.walk(tree):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            parts = (module or "").split(".")
            if module == "aurora.api.paths":
                continue        # the per-user cache folder: a leaf both layers use
            if module and parts[0] == "aurora" and len(parts) > 1 and parts[1] in DOMAIN:
                offenders.append(f"aurora/{name}.py imports {module}")
    assert not offenders, offenders


def test_only_the_entry_point_joins_the_framework_and_the_client() -> None:
    def imports_context(path: Path) -> bool:
        return any(isinstance(node, ast.ImportFrom) and node.module == "aurora.context"
                   for node in ast.walk(ast.parse(path.read_text())))

    assert imports_context(ROOT / "aurora" / "__main__.py")
    assert not [name for name in FRAMEWORK if imports_context(ROOT / "aurora" / f"{name}.py")]


def test_the_api_layer_imports_no_printer() -> None:
    """aurora/api reports through callbacks and logging: it imports nothing of the CLI."""
    offenders = []
    for path in sorted((ROOT / "aurora" / "api").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            offenders += [f"{path.name}: {n}" for n in names
                          if n.split(".")[:2] in (["aurora", "output"], ["aurora", "cli"],
                                                  ["aurora", "plugins"], ["aurora", "command"])]
    assert not offenders, offenders


def test_without_the_seam_the_api_works_on_plain_thriftpy2() -> None:
    code = ("import sys\n"
            "from aurora.api.idl import api\n"
            "from aurora.api.views import keys_only_service, task_events_service\n"
            "assert api().ScheduleStatus.RUNNING == 2\n"
            "assert keys_only_service() is None and task_events_service() is None\n"
            "assert 'aurora.api.lazy_thriftpy2' not in sys.modules\n"
            "assert 'thriftpy2.parser' in sys.modules   # parsed, not rebuilt\n"
            "print('ok')\n")
    _prints_ok_in_a_fresh_interpreter(code)


def test_the_seam_refuses_a_thriftpy2_it_was_not_written_for(monkeypatch) -> None:
    from aurora.api import thrift_seam

    monkeypatch.setattr(thrift_seam, "thriftpy2_version", lambda: (0, 9, 1))
    problem = thrift_seam.install()
    assert problem is not None and "thriftpy2 0.9.1" in problem and "pip install" in problem
    assert not thrift_seam._active


def test_only_api_urls_splits_a_url() -> None:
    """The client splits URLs in aurora/api/urls.py alone (job files' Docker registry
    lookups and the devcluster aside): urllib.parse stays off every command's path."""
    allowed = {ROOT / "aurora" / "api" / "urls.py", ROOT / "aurora" / "config" / "docker.py"}
    offenders = []
    for path in _sources("aurora", "plugins"):
        if path in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names
                          if n.startswith("urllib")]
    assert not offenders, offenders
