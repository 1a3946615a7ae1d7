"""Every reference in the tree resolves inside the tree.

The upstream client's behaviour is described in our own words in
docs/compatibility.md; code and docs never cite an outside spec document or its
section numbers, which a user's clone does not have.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".git", ".venv", "build", "dist", "__pycache__", ".pytest_cache", ".ruff_cache"}
# Built from parts so that this file does not trip its own check.
OUTSIDE_CITATION = re.compile("CLIENT[-_ ]SPEC|" + "\N{SECTION SIGN}", re.IGNORECASE)


def _tracked_files() -> list[Path]:
    """The files git tracks or would add; outside a checkout, all but caches and venvs."""
    git = shutil.which("git")
    if git and (ROOT / ".git").exists():
        listed = subprocess.run([git, "ls-files", "-z", "--cached", "--others",
                                 "--exclude-standard"], cwd=ROOT, capture_output=True,
                                check=True).stdout.decode().split("\0")
        return [ROOT / name for name in listed if name and (ROOT / name).is_file()]
    return [p for p in ROOT.rglob("*")
            if p.is_file() and not SKIPPED_DIRS.intersection(p.relative_to(ROOT).parts)]


def _text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None


def test_no_file_cites_an_outside_spec() -> None:
    cited = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
             for path in _tracked_files() if (text := _text(path)) is not None
             for n, line in enumerate(text.splitlines(), 1) if OUTSIDE_CITATION.search(line)]
    assert not cited, ("say in our own words what upstream does (docs/compatibility.md) "
                       "instead of citing an outside spec:\n" + "\n".join(cited))


def test_the_check_sees_a_citation() -> None:
    planted = "see CLIENT" + "-SPEC " + "\N{SECTION SIGN}" + "12.30"
    assert OUTSIDE_CITATION.search(planted)
    assert not OUTSIDE_CITATION.search("a base path is kept, which upstream loses")
