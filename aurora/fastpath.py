"""The start-up fast path: every trick that lets a command skip work, in one place.

A full start (stevedore discovery, pluggy registration of every plugin, argparse)
costs far more than Python itself. What this module does, before and while the
framework loads:

* `main` answers `--version`, help pages, a verb's help and an unknown noun from
  the command index (`aurora/index.py` keeps it on disk) without importing
  pluggy, stevedore, argparse or any plugin; anything else goes to `cli.run`.
* `plugins_needed` tells the full start which plugins a command needs, so that
  only those are imported (the others are deferred, see `cli.build`).
* thriftpy2 is imported without its package initialisers
  (`api/lazy_thriftpy2.py`) and the IDL is rebuilt from a snapshot
  (`api/idl_cache.py`) instead of being parsed, when a command first talks to a
  scheduler. Those two live in `aurora.api` (switched on by `aurora.api.idl`),
  because the devcluster shares them and must not depend on the client.
* `split` is the one argv splitter: it finds NOUN and VERB among leading global
  options for the index answers, for choosing plugins, for dispatching in
  `cli.py` and for completion. `flags` reads the switches that act before
  parsing (`--version`, `--traceback`, `-v`).

Cheap to import: stdlib `os`, `sys` and `json` (through `index`) only.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False       # typing itself costs a start-up millisecond or two
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    Arity = Callable[[str], "int | None"]

HELP_FLAGS = ("-h", "--help")
UNKNOWN_NOUN_EXIT = 5      # ExitCode.INVALID_COMMAND, without importing the errors module


# -- the argv splitter ------------------------------------------------------------------
class Split:
    """argv cut into NOUN and VERB (or `help` and its topic) and the rest."""

    __slots__ = ("words", "rest", "wants_help", "unknown")

    def __init__(self, words: list[str], rest: list[str], wants_help: bool,
                 unknown: str | None):
        self.words = words              # NOUN, VERB; or "help" and its topic words
        self.rest = rest                # global options before the verb, then all after it
        self.wants_help = wants_help    # -h/--help met before the verb
        self.unknown = unknown          # an option before the verb, not a global option


def option_arity(options: Mapping[str, int]) -> Arity:
    """`token` -> 0 or 1 values taken, for a global option (exact name or a unique long
    prefix, `--name=value` and `-oVALUE` taking none more); None when it is not a global
    option.
    `options` maps each option name to 1 if it takes a value, else 0."""
    def arity(token: str) -> int | None:
        if token[:1] == "-" and token[1:2] != "-" and options.get(token[:2]) == 1:
            return 0 if len(token) > 2 else 1       # `-ojson` carries its value
        name = token.split("=", 1)[0]
        if name not in options and name.startswith("--"):
            matches = [n for n in options if n.startswith(name) and n.startswith("--")]
            name = matches[0] if len(matches) == 1 else name
        if name not in options:
            return None
        return options[name] if "=" not in token else 0
    return arity


def split(argv: list[str], arity: Arity) -> Split:
    """Find NOUN and VERB among leading global options (`arity` tells them apart)."""
    words: list[str] = []
    rest: list[str] = []
    wants_help = False
    i = 0
    while i < len(argv) and len(words) < 2:
        token = argv[i]
        if token in HELP_FLAGS:
            wants_help = True
        elif token.startswith("-") and token != "-":
            taken = arity(token)
            if taken is None:
                return Split(words, rest, wants_help, token)
            rest.extend(argv[i:i + 1 + taken])
            i += taken
        else:
            words.append(token)
            if token == "help":
                words.extend(a for a in argv[i + 1:] if not a.startswith("-"))
                return Split(words, rest, True, None)
        i += 1
    rest.extend(argv[i:])
    return Split(words, rest, wants_help, None)


def verb_help_words(argv: list[str]) -> tuple[str, str] | None:
    """(NOUN, VERB) of exactly `aurora help NOUN VERB` or `aurora NOUN VERB -h|--help`."""
    if len(argv) != 3:
        return None
    found = split(argv, lambda token: None)
    if found.unknown is not None or len(found.words) < 2:
        return None
    if found.words[0] == "help" and len(found.words) == 3 and not found.rest:
        return found.words[1], found.words[2]
    if found.rest in (["-h"], ["--help"]) and found.words[0] != "help":
        return found.words[0], found.words[1]
    return None


def help_topic(argv: list[str]) -> list[str] | None:
    """The topic of `aurora`, `aurora help [NOUN]`, `aurora -h`, `aurora NOUN -h`
    ([] for the top page), or None when argv is something else."""
    if len(argv) > 2 or any(a.startswith("-") and a not in HELP_FLAGS for a in argv):
        return None
    found = split(argv, lambda token: None)
    words = [w for w in found.words if w != "help"]
    if argv and not found.wants_help or len(words) > 1:
        return None
    return words


def flags(argv: list[str]) -> dict[str, bool]:
    """The switches read before parsing: anywhere on the line, as upstream."""
    return {"version": "--version" in argv and argv[:1] != ["help"],
            "traceback": "--traceback" in argv,
            "verbose": "-v" in argv or "--verbose" in argv}


# -- answers from the command index ---------------------------------------------------
def answer(argv: list[str]) -> int | None:
    """Answer from the index when it can (`--version`, help pages, an unknown noun): the
    exit code after writing the answer, or None when the command must run."""
    if argv == ["--version"]:
        from aurora import __version__

        sys.stdout.write(f"{__version__}\n")
        return 0
    found = cached_answer(argv)
    if found is None:
        return None
    sys.stdout.write(found[1])
    return found[0]


def cached_answer(argv: list[str]) -> tuple[int, str] | None:
    """(exit code, stdout text) for a help page or an unknown noun, or None.

    Plugin warnings and errors go to stderr here, as the full start writes them.
    """
    from aurora import index

    data = index.read()
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
        return UNKNOWN_NOUN_EXIT, ""
    return None


def unknown_noun(word: str, nouns: list[str]) -> str:
    """The one-line message for a noun nobody registered (shared with the full start)."""
    import difflib

    match = difflib.get_close_matches(word, nouns, n=1, cutoff=0.6)
    hint = f"did you mean '{match[0]}'?" if match else "run 'aurora help' for the list of nouns"
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
