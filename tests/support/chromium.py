"""Headless Chromium for the page tests: Debian's `chromium`, installed when missing.

Runs as root (the tests do) with its sandbox off, a throwaway profile and no
network of its own (no updates, sync or QUIC): it only loads the devcluster's pages.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.debian import ensure_package

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage")
BUDGET_MS = 3000     # virtual time for the page's scripts (polls and clock ticks) to run


def find() -> str:
    """The chromium executable; RuntimeError (one line) when it cannot be installed."""
    return ensure_package("chromium", "chromium")


class Chromium:
    def __init__(self, executable: str, profile: Path):
        self.executable = executable
        self.profile = profile

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([self.executable, *FLAGS, f"--user-data-dir={self.profile}",
                               *args], capture_output=True, text=True, timeout=90)
        assert done.returncode == 0, done.stderr[-2000:]
        return done

    def dom(self, url: str, budget_ms: int = BUDGET_MS) -> str:
        """The page's DOM as serialized after its scripts ran for `budget_ms` (virtual)."""
        return self._run(f"--virtual-time-budget={budget_ms}", "--dump-dom", url).stdout

    def screenshot(self, url: str, target: Path, budget_ms: int = BUDGET_MS) -> Path:
        """A 1200x900 PNG of the page, kept as a test artefact."""
        self._run(f"--virtual-time-budget={budget_ms}", f"--screenshot={target}",
                  "--window-size=1200,900", "--hide-scrollbars", url)
        assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{target} is not a PNG"
        return target
