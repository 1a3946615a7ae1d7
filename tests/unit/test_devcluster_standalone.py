"""The devcluster stands on its own: it needs the scheduler API, never the client.

Every module of `aurora.devcluster`, and every `aurora.api` module it reaches,
imports (at the top or inside a function) only `aurora.api`, `aurora.devcluster`,
the import-free `aurora` package itself, the standard library and third-party
packages, so the devcluster and the API could ship without the client.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = ("aurora.api", "aurora.devcluster")


def _module_file(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _package_of(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).parent.parts)


def aurora_imports(source: str, package: str) -> set[str]:
    """The `aurora...` modules a module's source imports, relative imports resolved."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names
                         if _module_file(f"{base}.{alias.name}"))
    return {name for name in found if name == "aurora" or name.startswith("aurora.")}


def is_allowed(name: str) -> bool:
    return name == "aurora" or any(name == a or name.startswith(a + ".") for a in ALLOWED)


def reached_from_the_devcluster() -> dict[str, set[str]]:
    """Each aurora module the devcluster reaches, with the aurora modules it imports."""
    todo = sorted(ROOT.joinpath("aurora", "devcluster").rglob("*.py"))
    graph: dict[str, set[str]] = {}
    while todo:
        path = todo.pop()
        name = str(path.relative_to(ROOT))
        if name in graph:
            continue
        graph[name] = aurora_imports(path.read_text(), _package_of(path))
        todo.extend(f for imported in graph[name] if is_allowed(imported) and imported != "aurora"
                    and (f := _module_file(imported)) is not None)
    return graph


def test_the_devcluster_reaches_only_the_api_and_itself() -> None:
    outside = {module: sorted(n for n in imported if not is_allowed(n))
               for module, imported in reached_from_the_devcluster().items()}
    outside = {module: names for module, names in outside.items() if names}
    assert not outside, ("the devcluster must not import client modules; move what it needs "
                         f"into aurora/devcluster (or aurora/api when shared): {outside}")


def test_the_check_follows_the_devcluster_into_the_api() -> None:
    reached = reached_from_the_devcluster()
    assert "aurora/devcluster/engine.py" in reached
    assert "aurora/api/idl.py" in reached and "aurora/api/idl_cache.py" in reached


def test_the_check_sees_a_client_import_in_any_form() -> None:
    planted = ("import aurora.connect\n"
               "from aurora.discovery import connect_string\n"
               "from aurora import errors, __version__\n"
               "def later():\n    from ..jobs import job_url\n")
    found = aurora_imports(planted, "aurora.devcluster")
    assert {"aurora.connect", "aurora.discovery", "aurora.errors", "aurora.jobs"} <= found
    assert not [n for n in found if n.startswith("aurora.") and is_allowed(n)]
    assert is_allowed("aurora") and is_allowed("aurora.api.idl")
