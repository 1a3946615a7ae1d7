"""Entry point of the `aurora` command (and `python -m aurora`).

Kept tiny: `--version`, help pages and an unknown noun are answered here from
the command index (`aurora/index.py`), before the framework (pluggy, stevedore,
argparse) is imported.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if args == ["--version"]:
        from aurora import __version__

        sys.stdout.write(f"{__version__}\n")
        return 0
    from aurora import index

    answer = index.cached_answer(args)
    if answer is not None:
        sys.stdout.write(answer[1])
        return answer[0]
    import gc

    # A command is short-lived and builds large acyclic data (10,000 decoded tasks):
    # frequent cyclic collections would cost more than they ever free.
    gc.set_threshold(100_000, 50, 100)
    from aurora.cli import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
