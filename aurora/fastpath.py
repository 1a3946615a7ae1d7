"""The start-up fast path: what lets a command skip the framework's start.

A full start (stevedore discovery, pluggy registration of every plugin, argparse)
costs far more than Python itself. What this module does, before and while the
framework loads:

* `answer` answers help pages, a verb's help and an unknown noun from the command
  index (`aurora/index.py` keeps it on disk) without importing pluggy, stevedore,
  argparse or any plugin (`version` answers `--version` before even that);
  anything else goes to `cli.run`.
* `plugins_needed` tells the full start which plugins a command needs, so that
  only those are imported (the others are deferred, see `cli.build`).

The thrift tricks (the lazy thriftpy2 import, the IDL snapshot, slim reply views)
are not here: they live in `aurora.api`, behind `aurora/api/thrift_seam.py`, because
the devcluster shares them and must not depend on the client.

argv is cut by `aurora/grammar.py` (the one grammar), here as everywhere else. The
command index is read once per run, by `aurora/__main__.py`, and handed to
`answer` and then to `cli.run`.

Cheap to import: stdlib `os`, `sys` and `json` (through `index`) only.
"""

from __future__ import annotations

import sys

from aurora.grammar import flags, help_topic, option_arity, split, verb_help_words


def version() -> int:
    """`aurora --version`, answered before anything else is read."""
    from aurora import __version__

    sys.stdout.write(f"{__version__}\n")
    return 0


# -- answers from the command index ---------------------------------------------------
def answer(argv: list[str], data: dict | None) -> int | None:
    """Answer from the index `data` when it can (help pages, an unknown noun): the exit
    code after writing the answer, or None when the command must run."""
    found = cached_answer(argv, data)
    if found is None:
        return None
    sys.stdout.write(found[1])
    return found[0]


def cached_answer(argv: list[str], data: dict | None) -> tuple[int, str] | None:
    """(exit code, stdout text) for a help page or an unknown noun, or None.

    Plugin warnings and errors go to stderr here, as the full start writes them.
    """
    if data is None:
        return None
    text = _help_text(data, argv)
    if text is not None:
        _warn(data)
        return 0, text
    nouns = list(data["help"]["nouns"])
    plugin_names = {entry[0] for entry in data.get("entry_points", [])}
    found = split(argv, option_arity(data.get("commands", {}).get("options", {})))
    noun = found.words[0] if found.words else None
    if noun is not None and noun != "help" and noun not in nouns and \
            noun not in plugin_names and not flags(argv)["version"]:
        _warn(data)     # (a disabled plugin's noun is left to the full start, which says so)
        _write_err(f"aurora: error: {unknown_noun(noun, nouns)}", keep="")
        from aurora.errors import ExitCode  # (enum is loaded already: json needs re)

        return ExitCode.INVALID_COMMAND, ""
    return None


def unknown_noun(word: str, nouns: list[str]) -> str:
    """The one-line message for a noun nobody registered (shared with the full start)."""
    from aurora.spelling import did_you_mean

    hint = did_you_mean(word, nouns) or "run 'aurora help' for the list of nouns"
    return f"unknown noun '{word}'; {hint}"


def _warn(data: dict) -> None:
    for warning in data.get("warnings", []):
        _write_err(warning)


def _write_err(message: str, keep: str = "\n") -> None:
    """One message on stderr, control characters escaped as `output.emit_err` does
    (its module is imported only when a message needs it)."""
    if not message.isprintable():
        from aurora.output import escape_controls

        message = escape_controls(message, keep=keep)
    sys.stderr.write(message + "\n")


def _help_text(data: dict, argv: list[str]) -> str | None:
    from aurora.index import terminal_columns

    words = verb_help_words(argv)
    if words is not None:
        return data.get("verb_help", {}).get(f"{words[0]} {words[1]} {terminal_columns()}")
    topic = help_topic(argv)
    if topic is None:
        return None
    return data["help"]["top"] if not topic else data["help"]["nouns"].get(topic[0])


# -- which plugins a command needs ----------------------------------------------------
REGISTRATION_HOOKS = frozenset({"register_nouns", "register_verbs"})


def plugins_needed(data: dict, argv: list[str]) -> set[str] | None:
    """The plugins a command needs, None for all of them: those adding to its noun (and
    the owners of nouns those add verbs to), every plugin implementing a hook beyond
    noun and verb registration, and those that failed last time (so they warn again)."""
    commands = data.get("commands") or {}
    found = split(argv, option_arity(commands.get("options", {})))
    noun = found.words[0] if found.words else None
    if noun is None or noun not in commands.get("nouns", {}):
        return None
    nouns = commands["nouns"]
    needed = set(nouns[noun]) | set(commands.get("failed", []))
    needed |= {name for name, hooks in commands.get("plugins", {}).items()
               if not REGISTRATION_HOOKS.issuperset(hooks)}
    grown = True
    while grown:        # a needed plugin adding verbs to another noun needs that noun
        owners = {plugins[0] for plugins in nouns.values()
                  if plugins and needed.intersection(plugins[1:])}
        grown = not owners <= needed
        needed |= owners
    return needed
