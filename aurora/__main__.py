"""Entry point of the `aurora` command (and `python -m aurora`).

Kept tiny: `--version` and plain help requests are answered here, before the
framework (pluggy, stevedore, argparse) is imported.
"""

from __future__ import annotations

import sys

_HELP_WORDS = ("help", "-h", "--help")


def _plain_help_request(argv: list[str]) -> bool:
    """`aurora`, `aurora help`, `aurora help NOUN`, `aurora -h`, `aurora NOUN -h`."""
    if not argv:
        return True
    if len(argv) > 2 or any(a.startswith("-") and a not in _HELP_WORDS for a in argv):
        return False
    return any(a in _HELP_WORDS for a in argv)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if args == ["--version"]:
        from aurora import __version__

        sys.stdout.write(f"{__version__}\n")
        return 0
    if _plain_help_request(args):
        from aurora import index

        text = index.cached_help(args)
        if text is not None:
            sys.stdout.write(text)
            return 0
    from aurora.cli import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
