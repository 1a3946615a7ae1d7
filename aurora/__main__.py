"""Entry point of the `aurora` command (and `python -m aurora`).

Kept tiny: the command index is read once here; the start-up fast path
(`aurora/fastpath.py`) answers what it can from it before the framework is
imported, and hands it to the full run otherwise.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """The `aurora` command: an answer from the index when there is one, else a run."""
    argv = sys.argv[1:] if argv is None else list(argv)
    from aurora import fastpath

    if argv == ["--version"]:
        return fastpath.version()
    from aurora import index

    command_index = index.read()
    answered = fastpath.answer(argv, command_index)
    if answered is not None:
        return answered
    from aurora.api.thrift_seam import install

    problem = install()          # the thrift tricks (aurora/api/thrift_seam.py)
    if problem is not None:
        from aurora.errors import ExitCode
        from aurora.output import emit_error

        emit_error(f"aurora: error: {problem}")
        return ExitCode.INVALID_CONFIGURATION
    import gc

    # A command is short-lived and builds large acyclic data (10,000 decoded tasks):
    # frequent cyclic collections would cost more than they ever free.
    gc.set_threshold(100_000, 50, 100)
    from aurora.cli import run
    from aurora.context import ClientContext

    return run(argv, ClientContext, command_index)


def console() -> int:
    """The console script: `main`, then an exit that skips the interpreter's last
    cyclic collections, which would walk every object the command made only to free
    memory the process is about to give back (docs/architecture.md, Start-up time)."""
    code = main()
    import gc

    gc.freeze()
    return code


if __name__ == "__main__":
    sys.exit(console())
