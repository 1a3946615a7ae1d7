"""The argv grammar: the one place that knows how an `aurora` command line is cut.

    aurora [GLOBAL OPTION...] NOUN VERB [VERB OPTION | GLOBAL OPTION | ARGUMENT...]
    aurora help [NOUN [VERB]]          aurora [NOUN [VERB]] -h|--help

An option is told apart from an argument the way argparse tells them: a token
starting with `-` (but `-` alone, or with a space in it) is an option, `--`
ends the options, and an option taking a value takes the next token
(`--name=value` takes none). Which options take a value comes from an *arity*
function (`option_arity` builds one from the option declarations).

Every reader of argv goes through here: the start-up fast path (answers from
the command index, which plugins a command needs), dispatch in `cli.py`, the
unknown-option check of the verb parser, and completion.

Cheap to import: nothing but builtins.
"""

from __future__ import annotations

TYPE_CHECKING = False       # typing is not imported on the fast path
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    Arity = Callable[[str], "int | None"]

HELP_FLAGS = ("-h", "--help")


class Split:
    """argv cut into NOUN and VERB (or `help` and its topic) and the rest."""

    __slots__ = ("words", "rest", "wants_help", "unknown")

    def __init__(self, words: list[str], rest: list[str], wants_help: bool,
                 unknown: str | None):
        self.words = words              # NOUN, VERB; or "help" and its topic words
        self.rest = rest                # global options before the verb, then all after it
        self.wants_help = wants_help    # -h/--help met before the verb
        self.unknown = unknown          # an option before the verb, not a global option


def is_option(token: str) -> bool:
    """An option token, as argparse reads one (`-` alone and `-x y` are values)."""
    return token.startswith("-") and token != "-" and " " not in token


def option_arity(options: Mapping[str, int]) -> Arity:
    """`token` -> 0 or 1 values taken (exact name or a unique long prefix, `--name=value`
    and `-oVALUE` taking none more); None when `options` has no such option.
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


def no_options(token: str) -> int | None:
    """The arity of a grammar that knows no option (help words are read without one)."""
    return None


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


def option_tokens(args: list[str], takes_value: Callable[[str], bool]) -> Iterator[str]:
    """The option tokens of a verb's arguments, values of options skipped, up to `--`."""
    skip_value = False
    for token in args:
        if skip_value or not is_option(token):
            skip_value = False
            continue
        if token == "--":
            return
        yield token
        skip_value = "=" not in token and takes_value(token)


def positionals(words: list[str], arity_at: Callable[[list[str]], Arity]) -> list[str]:
    """The arguments among `words` (options and their values left out). `arity_at(found)`
    gives the arity in force once the arguments `found` so far are known (global options
    only before NOUN VERB, the verb's own too after them)."""
    found: list[str] = []
    arity = arity_at(found)
    index = 0
    while index < len(words):
        word = words[index]
        if word == "--":
            found.extend(words[index + 1:])
            break
        if word.startswith("-") and len(word) > 1:
            index += 1 + (arity(word) or 0)
            continue
        found.append(word)
        index += 1
        if len(found) == 2:
            arity = arity_at(found)
    return found


def bind_dash_values(args: list[str], takes_one_value: Callable[[str], bool]) -> list[str]:
    """`--name -VALUE` -> `--name=-VALUE`: a long option that takes one value takes the
    next word even when it begins with '-', as getopt does, so `--ssh-options "-o X"` and
    `--tunnel -oX` stay values instead of being read as the short option `-o`."""
    bound, end, i = [], end_of_options(args), 0
    while i < len(args):
        token = args[i]
        if token.startswith("--") and i + 1 < end and args[i + 1].startswith("-") \
                and takes_one_value(token):
            bound.append(f"{token}={args[i + 1]}")
            i += 2
            continue
        bound.append(token)
        i += 1
    return bound


def end_of_options(args: list[str]) -> int:
    """Where `--` stands in `args` (or their length): no option comes after it."""
    return args.index("--") if "--" in args else len(args)


def verb_help_words(argv: list[str]) -> tuple[str, str] | None:
    """(NOUN, VERB) of exactly `aurora help NOUN VERB` or `aurora NOUN VERB -h|--help`."""
    if len(argv) != 3:
        return None
    found = split(argv, no_options)
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
    found = split(argv, no_options)
    words = [w for w in found.words if w != "help"]
    if argv and not found.wants_help or len(words) > 1:
        return None
    return words


def flags(argv: list[str]) -> dict[str, bool]:
    """The switches read before parsing: anywhere on the line, as upstream."""
    return {"version": "--version" in argv and argv[:1] != ["help"],
            "traceback": "--traceback" in argv,
            "verbose": "-v" in argv or "--verbose" in argv}
