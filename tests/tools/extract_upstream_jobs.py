"""Extract the job files embedded in upstream's docs and Python tests (a development tool).

Writes one .aurora file per embedded job file into OUT_DIR, each starting with a
comment naming where it came from:

* every code block (fenced, or indented) of upstream's docs/**/*.md that defines
  `jobs` (a `$ cat FILE` transcript loses its first line: the file follows);
* every string a test module under src/test/python builds from constants (literals,
  `+`, `%` with a literal dict, textwrap.dedent) that defines `jobs`. A template
  the tests fill in a helper gets the values of that helper's valid case (TEMPLATES).

    python3 tests/tools/extract_upstream_jobs.py UPSTREAM_TREE OUT_DIR
"""

from __future__ import annotations

import ast
import re
import sys
import textwrap
from pathlib import Path

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)
DEFINES_JOBS = re.compile(r"^\s*jobs\s*=", re.M)

# Templates upstream's tests fill in helpers, with the values of the helpers' valid case.
TEMPLATES = {
    ("cli/util.py", "CONFIG_BASE"): {"job": "hello", "role": "bozo", "cluster": "west",
                                     "env": "test", "inner": ""},
    ("cli/util.py", "CRON_CONFIG_BASE"): {"job": "hello", "role": "bozo", "cluster": "west",
                                          "env": "test", "inner": ""},
    ("cli/util.py", "UNBOUND_CONFIG"): {"job": "hello", "role": "bozo", "env": "test"},
}


def _value(node: ast.AST, names: dict[str, str]) -> str | None:
    """The string a constant expression evaluates to, or None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _value(node.left, names), _value(node.right, names)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) \
            and isinstance(node.right, ast.Dict):
        return _fill(node, names)
    if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "dedent" \
            and len(node.args) == 1:
        inner = _value(node.args[0], names)
        return None if inner is None else textwrap.dedent(inner)
    return None


def _fill(node: ast.BinOp, names: dict[str, str]) -> str | None:
    template = _value(node.left, names)
    pairs = {}
    for key, val in zip(node.right.keys, node.right.values, strict=True):
        text = _value(val, names) if key is not None else None
        if text is None or not isinstance(key, ast.Constant):
            return None
        pairs[key.value] = text
    return None if template is None else template % pairs


def markdown_code(text: str) -> list[str]:
    """A markdown file's code blocks: fenced ones, and runs of lines indented by a tab
    or four spaces after a blank line (one indentation level removed, as markdown does)."""
    blocks = FENCE.findall(text)
    current: list[str] | None = None
    previous = ""
    for line in FENCE.sub("", text).split("\n") + [""]:
        indented = line.startswith(("\t", "    "))
        if current is None and indented and not previous.strip():
            current = []
        if current is not None and (indented or not line.strip()):
            current.append(line[1:] if line.startswith("\t") else line[4:])
        elif current is not None:
            blocks.append("\n".join(current))
            current = None
        previous = line
    return blocks


def test_module_jobs(path: Path, rel: str) -> dict[str, str]:
    """name -> job file text for each constant string of `path` that defines jobs."""
    try:
        tree = ast.parse(path.read_text())
    except SyntaxError:         # Python 2 only syntax: no job strings in those modules
        assert not DEFINES_JOBS.search(path.read_text()), path
        return {}
    names: dict[str, str] = {}
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            text = _value(node.value, names)
            if text is None:
                continue
            name = node.targets[0].id
            names[name] = text
            fill = TEMPLATES.get((rel, name))
            if fill:
                text = text % fill
            if DEFINES_JOBS.search(text) and "%(" not in text and "%s" not in text:
                found[name] = text
    return found


def main(tree: str, out: str) -> None:
    root, target = Path(tree), Path(out)
    target.mkdir(parents=True, exist_ok=True)
    for md in sorted((root / "docs").rglob("*.md")):
        blocks = [b for b in markdown_code(md.read_text()) if DEFINES_JOBS.search(b)]
        for number, block in enumerate(blocks, 1):
            rel = md.relative_to(root)
            name = "docs_" + "_".join(rel.with_suffix("").parts[1:]).replace("-", "_")
            _write(target / f"{name}_{number}.aurora", f"{rel}, code block {number}", block)
    tests = root / "src" / "test" / "python" / "apache" / "aurora" / "client"
    for module in sorted((root / "src" / "test" / "python").rglob("*.py")):
        rel = module.relative_to(tests).as_posix() if tests in module.parents \
            else module.name
        for name, text in test_module_jobs(module, rel).items():
            stem = "test_" + module.stem.removeprefix("test_") + "_" + name
            _write(target / f"{stem}.aurora", f"{module.relative_to(root)}, {name}", text)


def _write(path: Path, source: str, text: str) -> None:
    if text.lstrip().startswith("$ cat "):     # a transcript showing a job file
        text = text.lstrip().split("\n", 1)[1]
    path.write_text(f"# Upstream Aurora 0.22: {source}\n{text.strip()}\n")
    print(path.name)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
