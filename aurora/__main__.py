"""Entry point of the `aurora` command (and `python -m aurora`).

Kept tiny: the start-up fast path (`aurora/fastpath.py`) answers what it can
from the command index before the framework is imported, and runs the rest.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from aurora.fastpath import main as run

    return run(sys.argv[1:] if argv is None else list(argv))


if __name__ == "__main__":
    sys.exit(main())
