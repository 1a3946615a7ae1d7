"""Claims docs/architecture.md makes about the core, checked on the source with ast."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "aurora"


def _aurora_names(node: ast.AST) -> list[str]:
    """The `aurora.X` modules an import statement names (X only)."""
    if isinstance(node, ast.ImportFrom) and node.module == "aurora":
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("aurora."):
        return [node.module.split(".")[1]]
    if isinstance(node, ast.Import):
        return [a.name.split(".")[1] for a in node.names if a.name.startswith("aurora.")]
    return []


def _imported_core_modules(path: Path, core: set[str]) -> set[str]:
    """Core modules `path` imports anywhere: top level, in functions, for type checking."""
    found = {name for node in ast.walk(ast.parse(path.read_text()))
             for name in _aurora_names(node) if name in core}
    return found - {path.stem}


def core_import_graph() -> dict[str, set[str]]:
    core = {p.stem for p in CORE.glob("*.py") if p.stem != "__init__"}
    return {p.stem: _imported_core_modules(p, core) for p in CORE.glob("*.py")
            if p.stem != "__init__"}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path (first module repeated at the end), or None."""
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt, path + [nxt])
                if cycle:
                    return cycle
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state:
            cycle = visit(start, [start])
            if cycle:
                return cycle
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_core_modules_import_each_other_without_a_cycle() -> None:
    graph = core_import_graph()
    assert "command" in graph["cli"], "the graph sees the core's imports"
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle among aurora/*.py: " + " -> ".join(cycle or [])


PRINTER = "aurora/output.py"
# The start-up fast path answers --version and cached help before it imports anything
# else (docs/architecture.md, "Start-up time"), and index.py reads the terminal's width
# for it; the devcluster is a program of its own.
MAY_WRITE = ("aurora/fastpath.py", "aurora/index.py", "aurora/devcluster/")
STREAMS = {"stdout", "stderr", "__stdout__", "__stderr__"}


def _sources(*folders: str) -> list[Path]:
    return [p for folder in folders for p in sorted((ROOT / folder).rglob("*.py"))]


def _writes_to_a_stream(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute) and node.attr in STREAMS:
        return isinstance(node.value, ast.Name) and node.value.id == "sys"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id == "print"
    return False


def stream_writers(source: str) -> list[int]:
    """Lines of `source` that touch sys.stdout/sys.stderr or call print()."""
    return sorted(n.lineno for n in ast.walk(ast.parse(source)) if _writes_to_a_stream(n))


def test_the_stream_check_sees_prints_and_stream_writes() -> None:
    assert stream_writers("import sys\nsys.stderr.write('x')\nprint(1)\n") == [2, 3]
    assert stream_writers("from aurora.output import emit\nemit('x')\n") == []


def test_only_the_output_module_writes_to_stdout_and_stderr() -> None:
    offenders = []
    for path in _sources("aurora", "plugins"):
        name = path.relative_to(ROOT).as_posix()
        if name == PRINTER or name.startswith(MAY_WRITE):
            continue
        offenders += [f"{name}:{line}" for line in stream_writers(path.read_text())]
    assert not offenders, f"write through aurora/output.py instead: {offenders}"


def _handles_scheduler_error(node: ast.AST) -> bool:
    return isinstance(node, ast.ExceptHandler) and node.type is not None and \
        "SchedulerError" in ast.unparse(node.type)


def test_scheduler_refusals_become_errors_only_in_the_client() -> None:
    assert any(_handles_scheduler_error(n) for n in ast.walk(ast.parse(
        "try:\n    pass\nexcept (OSError, SchedulerError):\n    pass\n")))
    offenders = [path.relative_to(ROOT).as_posix()
                 for path in _sources("aurora", "plugins", "contrib")
                 if path != ROOT / "aurora" / "api" / "client.py"
                 and any(_handles_scheduler_error(n) for n in ast.walk(ast.parse(
                     path.read_text())))]
    assert not offenders, f"pass a Refusal to the client call instead: {offenders}"
