"""Print upstream's Struct class bodies at a git ref, as py2order records them.

A development tool (not run by the tests): it reads upstream's two schema modules
from a git mirror and prints, for each class, whether it has a docstring and its
body's names in source order, ready to paste into `aurora/config/py2order.py`.

    python3 tests/tools/class_bodies.py GIT_DIR REF
"""

from __future__ import annotations

import ast
import subprocess
import sys

MODULES = ("src/main/python/apache/thermos/config/schema_base.py",
           "src/main/python/apache/aurora/config/schema/base.py")


def body_names(node: ast.ClassDef) -> list[str]:
    """The names a class body binds, in source order (what fills its dict)."""
    names: list[str] = []
    for stmt in node.body:
        if isinstance(stmt, ast.Assign):
            names += [t.id for t in stmt.targets if isinstance(t, ast.Name)]
        elif isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
            names.append(stmt.name)
    return names


def main(git_dir: str, ref: str) -> None:
    for module in MODULES:
        source = subprocess.run(["git", f"--git-dir={git_dir}", "show", f"{ref}:{module}"],
                                check=True, capture_output=True, text=True).stdout
        for node in ast.parse(source).body:
            if isinstance(node, ast.ClassDef):
                doc = ast.get_docstring(node) is not None
                print(f'    "{node.name}": ({doc}, {tuple(body_names(node))!r}),')


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
