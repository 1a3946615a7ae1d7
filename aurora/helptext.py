"""Rendering of the top-level and per-noun help pages.

Verb help is argparse's own (`aurora help NOUN VERB` == `aurora NOUN VERB -h`);
these two pages are ours because they list plugin-provided nouns and verbs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aurora.command import CommandOption, Noun

INTRO = "Command-line client for the Apache Aurora scheduler."


def _rows(pairs: Iterable[tuple[str, str]], indent: int = 2) -> list[str]:
    pairs = list(pairs)
    width = max((len(left) for left, _ in pairs), default=0)
    if width > 28:
        width = 28
    lines = []
    for left, right in pairs:
        if len(left) > width:
            lines.append(" " * indent + left)
            lines.append(" " * (indent + width + 2) + right)
        else:
            lines.append(" " * indent + left.ljust(width) + "  " + right)
    return lines


def option_label(option: CommandOption) -> str:
    label = ", ".join(option.names)
    if option.takes_value:
        metavar = option.kwargs.get("metavar") or option.dest.upper()
        label += f" {metavar}"
    return label


def top_help(nouns: Sequence[Noun], global_options: Sequence[CommandOption]) -> str:
    lines = [
        "usage: aurora [GLOBAL OPTIONS] NOUN VERB [ARGS...]",
        "",
        INTRO,
        "",
        "nouns:",
        *_rows((n.name, n.help) for n in sorted(nouns, key=lambda n: n.name)),
        "",
        "commands:",
        *_rows([("help [NOUN [VERB]]", "show this help, a noun's verbs or a verb's options")]),
        "",
        "global options (before the noun or after the verb):",
        *_rows([("-h, --help", "show help and exit"),
                ("--version", "print the client version and exit"),
                *((option_label(o), o.help) for o in global_options)]),
        "",
        "Run 'aurora help NOUN' for a noun's verbs, 'aurora help NOUN VERB' for a verb's options.",
        "",
    ]
    return "\n".join(lines)


def noun_help(noun: Noun) -> str:
    lines = [
        f"usage: aurora {noun.name} VERB [OPTIONS] [ARGS...]",
        "",
        noun.help,
        "",
        "verbs:",
        *_rows((v.name, v.help) for v in sorted(noun.verbs.values(), key=lambda v: v.name)),
        "",
        f"Run 'aurora help {noun.name} VERB' for a verb's options.",
        "",
    ]
    return "\n".join(lines)
