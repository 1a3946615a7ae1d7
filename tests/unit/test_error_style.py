"""One wording style for errors: each names the problem and the fix.

An error the client raises (an `AuroraError`) either gives its fix as `hint=`, printed
after a semicolon on the same line, or says in its own words what is expected
("must be ...", "expected ..."). This walks every raise in the client and its
built-in plugins; docs/output.md states the style.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAYS_WHAT_IS_EXPECTED = re.compile(r"must be|Must be|expected|; |did you mean", re.I)
# Built from other errors' text, which carries their fix already.
CARRIED = {("aurora/cli.py", "UsageError"), ("aurora/api/client.py", "SchedulerTimeout")}


def _error_classes() -> set[str]:
    return set(re.findall(r"^class (\w+)\(", (ROOT / "aurora" / "errors.py").read_text(), re.M))


def _literal_text(node: ast.AST) -> str:
    return " ".join(n.value for n in ast.walk(node)
                    if isinstance(n, ast.Constant) and isinstance(n.value, str))


def test_every_error_names_its_fix() -> None:
    classes = _error_classes()
    offenders = []
    for path in sorted([*(ROOT / "aurora").rglob("*.py"), *(ROOT / "plugins").rglob("*.py")]):
        if "devcluster" in path.parts:
            continue
        where = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            func = node.exc.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name not in classes or (where, name) in CARRIED:
                continue
            if any(k.arg == "hint" for k in node.exc.keywords):
                continue
            if not SAYS_WHAT_IS_EXPECTED.search(_literal_text(node.exc)):
                offenders.append(f"{where}:{node.lineno}: {name}")
    assert not offenders, "errors without a fix:\n" + "\n".join(offenders)
