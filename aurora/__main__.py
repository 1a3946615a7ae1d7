"""Entry point of the `aurora` command (and `python -m aurora`).

Kept tiny: the start-up fast path (`aurora/fastpath.py`) answers what it can
from the command index before the framework is imported, and runs the rest.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """The `aurora` command: an answer from the index when there is one, else a run."""
    from aurora.fastpath import answer

    argv = sys.argv[1:] if argv is None else list(argv)
    answered = answer(argv)
    if answered is not None:
        return answered
    import gc

    # A command is short-lived and builds large acyclic data (10,000 decoded tasks):
    # frequent cyclic collections would cost more than they ever free.
    gc.set_threshold(100_000, 50, 100)
    from aurora.cli import run

    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
