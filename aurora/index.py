"""The command index: a cache of what plugin discovery found, for fast start-up.

A full start (stevedore discovery, pluggy registration of every plugin) costs
far more than Python itself. After each full start the CLI writes this index:
the entry points found, the rendered top-level and per-noun help, the plugin
warnings, and a fingerprint of everything that could change them (interpreter,
sys.path directories, plugin source files, client.toml files, environment
switches). `aurora`, `aurora help [NOUN]` and `aurora NOUN -h` are answered from
it without importing pluggy, stevedore or argparse; so are a verb's help (stored
the first time it is shown, for the terminal width it was rendered at) and the
error for an unknown noun. Later runs reuse its entry point list and load only
the plugins a command needs: those that add to its noun, those that implement
any hook other than noun and verb registration, and those that failed (so that
they warn as before). Any fingerprint change makes the index stale and it is
rebuilt.

This module must stay cheap to import: stdlib `os`, `sys`, `json` only.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from aurora import __version__
from aurora.api.paths import cache_dir

FORMAT = 2
REGISTRATION_HOOKS = frozenset({"register_nouns", "register_verbs"})
ENV_SWITCHES = ("AURORA_DISABLE_PLUGINS", "AURORA_PLUGINS_STRICT", "AURORA_CONFIG_ROOT")


def index_path() -> str:
    # One index per interpreter, so several virtualenvs never share one.
    import zlib

    tag = zlib.crc32(f"{sys.executable}\0{sys.prefix}".encode()) & 0xFFFFFFFF
    return os.path.join(cache_dir(), f"commands-{tag:08x}.json")


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return -1.0


def _config_files() -> list[str]:
    system = os.environ.get("AURORA_CONFIG_ROOT") or "/etc/aurora"
    home = os.path.join(os.path.expanduser("~"), ".aurora")
    return [os.path.join(system, "client.toml"), os.path.join(home, "client.toml")]


def fingerprint(files: list[str]) -> list[Any]:
    """Everything whose change may change the set of plugins or their help."""
    paths = [p or os.getcwd() for p in sys.path]
    return [
        FORMAT,
        __version__,
        sys.executable,
        [os.environ.get(name, "") for name in ENV_SWITCHES],
        [[p, _mtime(p)] for p in paths],
        [[f, _mtime(f)] for f in _config_files() + list(files)],
    ]


def read() -> dict[str, Any] | None:
    """The index when it is still valid, else None."""
    try:
        with open(index_path(), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("fingerprint") != fingerprint(data.get("files", [])):
        return None
    return data


def write(entry_points: list[tuple[str, str]], files: list[str], help_text: dict[str, Any],
          warnings: list[str], commands: dict[str, Any] | None = None) -> None:
    """Atomically replace the index; failure to write is never an error.

    `commands`: {"plugins": {name: [hooks]}, "nouns": {noun: [owner, other plugins
    adding verbs to it]},
    "options": {global option: 1 if it takes a value else 0}, "failed": [plugins]}.
    """
    _store({
        "fingerprint": fingerprint(files),
        "files": files,
        "entry_points": [list(e) for e in entry_points],
        "help": help_text,
        "warnings": warnings,
        "commands": commands or {},
        "verb_help": {},
    })


def _store(data: dict[str, Any]) -> None:
    path = index_path()
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def terminal_columns() -> int:
    """What `shutil.get_terminal_size().columns` answers (argparse wraps help to it)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


def remember_verb_help(noun: str, verb: str, text: str, columns: int) -> None:
    """Keep a verb's rendered help so the next request is answered from the index."""
    data = read()
    if data is None:
        return
    data.setdefault("verb_help", {})[f"{noun} {verb} {columns}"] = text
    _store(data)


def _verb_help_words(argv: list[str]) -> tuple[str, str] | None:
    """(NOUN, VERB) of `aurora help NOUN VERB` or `aurora NOUN VERB -h|--help`."""
    if len(argv) != 3:
        return None
    if argv[0] == "help" and not any(a.startswith("-") for a in argv[1:]):
        return argv[1], argv[2]
    if argv[2] in ("-h", "--help") and not any(a.startswith("-") for a in argv[:2]):
        return argv[0], argv[1]
    return None


def cached_answer(argv: list[str]) -> tuple[int, str] | None:
    """(exit code, stdout text) for a help page or an unknown noun, or None.

    Plugin warnings and errors go to stderr here, as the full start writes them.
    """
    data = read()
    if data is None:
        return None
    text = _help_text(data, argv)
    if text is not None:
        _warn(data)
        return 0, text
    plugin_names = {entry[0] for entry in data.get("entry_points", [])}
    if argv and not argv[0].startswith("-") and argv[0] != "help" and \
            argv[0] not in data["help"]["nouns"] and argv[0] not in plugin_names and \
            "--version" not in argv:     # a disabled plugin's noun: the full start says so
        _warn(data)
        _write_err(f"aurora: error: {unknown_noun(argv[0], list(data['help']['nouns']))}",
                   keep="")
        return UNKNOWN_NOUN_EXIT, ""
    return None


UNKNOWN_NOUN_EXIT = 5      # ExitCode.INVALID_COMMAND, without importing the errors module


def unknown_noun(word: str, nouns: list[str]) -> str:
    """The one-line message for a noun nobody registered (shared with the full start)."""
    import difflib

    match = difflib.get_close_matches(word, nouns, n=1, cutoff=0.6)
    hint = f"did you mean '{match[0]}'?" if match else "run 'aurora help' for the list of nouns"
    return f"unknown noun '{word}'; {hint}"


def _warn(data: dict[str, Any]) -> None:
    for warning in data.get("warnings", []):
        _write_err(warning)


def _write_err(message: str, keep: str = "\n") -> None:
    """One message on stderr, control characters escaped as `output.emit_err` does
    (its module is imported only when a message needs it)."""
    if not message.isprintable():
        from aurora.output import escape_controls

        message = escape_controls(message, keep=keep)
    sys.stderr.write(message + "\n")


def _help_text(data: dict[str, Any], argv: list[str]) -> str | None:
    words = _verb_help_words(argv)
    if words is not None:
        return data.get("verb_help", {}).get(f"{words[0]} {words[1]} {terminal_columns()}")
    if not _plain_help_request(argv):
        return None
    help_text = data["help"]
    words_ = [a for a in argv if a not in ("-h", "--help", "help")]
    if not words_:
        return help_text["top"]
    if len(words_) == 1:
        return help_text["nouns"].get(words_[0])
    return None


def _plain_help_request(argv: list[str]) -> bool:
    """`aurora`, `aurora help`, `aurora help NOUN`, `aurora -h`, `aurora NOUN -h`."""
    if not argv:
        return True
    if len(argv) > 2 or any(a.startswith("-") and a not in ("help", "-h", "--help")
                            for a in argv):
        return False
    return any(a in ("help", "-h", "--help") for a in argv)


def first_word(argv: list[str], options: dict[str, int]) -> str | None:
    """The noun, skipping leading global options; None when an option is not known."""
    i = 0
    while i < len(argv):
        token = argv[i]
        if token in ("-h", "--help"):
            i += 1
        elif token.startswith("-") and token != "-":
            name = token.split("=", 1)[0]
            if name not in options:
                return None
            i += 1 + (options[name] if "=" not in token else 0)
        else:
            return token
    return None


def plugins_needed(data: dict[str, Any], argv: list[str]) -> set[str] | None:
    """The plugins a command needs (see the module's docstring); None for all of them."""
    commands = data.get("commands") or {}
    noun = first_word(argv, commands.get("options", {}))
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
