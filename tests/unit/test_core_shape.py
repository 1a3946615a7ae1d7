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
