"""Start-up cost of the `aurora` command against a bare Python interpreter.

Prints the median wall time of 20 runs each of `python3 -c pass`,
`aurora --version` and `aurora help`, and the ratios the foundation issue sets
(`--version` <= 2.5x, `help` <= 3x). Run it from a virtualenv that does not live
under /tmp (stevedore turns its cache off there):

    .venv/bin/python benchmarks/startup.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import clean_env, median_ms  # noqa: E402

TARGETS = {"aurora --version": 2.5, "aurora help": 3.0}


def main() -> int:
    aurora = str(Path(sys.executable).parent / "aurora")
    with tempfile.TemporaryDirectory() as home:
        env = clean_env(home)
        base = median_ms([sys.executable, "-c", "pass"], env)
        print(f"{'python3 -c pass':<20} {base:7.1f} ms")
        failed = False
        for label, argv in (("aurora --version", [aurora, "--version"]),
                            ("aurora help", [aurora, "help"])):
            ms = median_ms(argv, env)
            ratio = ms / base
            verdict = "ok" if ratio <= TARGETS[label] else "OVER TARGET"
            failed |= ratio > TARGETS[label]
            print(f"{label:<20} {ms:7.1f} ms  {ratio:4.2f}x (target <= {TARGETS[label]}x) "
                  f"{verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
