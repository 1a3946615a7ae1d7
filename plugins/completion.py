"""Shell completion for bash and zsh: nouns, verbs, options, clusters and job keys.

`aurora completion bash` / `aurora completion zsh` print a script to source
(see docs/user-guide.md). The scripts call `aurora completion complete --cword N
-- WORDS...`, which prints one candidate per line: nouns, then verbs, then the
verb's and the global options, cluster names for a job key's first part and,
after `CLUSTER/`, the jobs the cluster's scheduler knows (asked once, with a
short timeout, never starting the devcluster).
"""

from __future__ import annotations

from typing import Any

from aurora.command import CommandOption, Context, Noun, Verb
from aurora.grammar import positionals
from aurora.hookspecs import hookimpl
from aurora.jobkey import key_parts
from aurora.output import Result

KEY_PARSERS = ("parse_job_key", "parse_instance_key", "parse_partial_key", "parse_role_key",
               "parse_task_instance")

BASH = r"""# aurora completion for bash: source <(aurora completion bash)
_aurora() {
    local IFS=$'\n'
    COMPREPLY=( $(aurora completion complete --cword "$((COMP_CWORD - 1))" -- \
                  "${COMP_WORDS[@]:1}" 2>/dev/null) )
    if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == */ ]]; then
        compopt -o nospace 2>/dev/null
    fi
}
complete -o default -F _aurora aurora
"""

ZSH = r"""#compdef aurora
# aurora completion for zsh: source <(aurora completion zsh)
_aurora() {
    local -a found open closed
    found=("${(@f)$(aurora completion complete --cword $((CURRENT - 2)) -- \
                    "${(@)words[2,-1]}" 2>/dev/null)}")
    open=(${(M)found:#*/})
    closed=(${found:#*/})
    closed=(${closed:#})
    if (( ${#open} + ${#closed} == 0 )); then
        _files
        return
    fi
    (( ${#open} )) && compadd -S '' -- "${open[@]}"
    (( ${#closed} )) && compadd -- "${closed[@]}"
}
if (( $+functions[compdef] )); then
    compdef _aurora aurora
fi
"""


def _takes_key(option: CommandOption) -> bool:
    kind = option.kwargs.get("type")
    return getattr(kind, "__name__", "") in KEY_PARSERS


def _job_keys(context: Context, cluster: str) -> list[str]:
    """Keys the scheduler knows for `cluster`; nothing when it does not answer quickly."""
    from aurora.api.client import RetryPolicy
    from aurora.api.transport import HttpOptions

    try:
        client = context.connect(cluster, HttpOptions(connect_timeout=1.0, timeout=2.0),
                                 RetryPolicy(retries=0), autostart=False)
        keys = client.get_job_keys(None)
        client.close()
    except Exception:  # noqa: BLE001 - completion must never fail loudly
        return []
    return [f"{cluster}/{r}/{e}/{n}" for r, e, n in keys]


def key_candidates(context: Context, word: str) -> list[str]:
    if "/" not in word:
        return [f"{name}/" for name in sorted(context.clusters) if name.startswith(word)]
    typed = key_parts(word)
    cluster, depth = typed[0], len(typed) - 1
    found: set[str] = set()
    for key in _job_keys(context, cluster):
        if not key.startswith(word):
            continue
        parts = key_parts(key)
        found.add("/".join(parts[:depth + 1]) + ("/" if depth < 3 else ""))
    return sorted(found)


def _option_candidates(cli: Any, position: list[str], current: str) -> list[str]:
    names = [n for o in cli.global_options for n in o.names if n.startswith("--")]
    if len(position) >= 2 and position[0] in cli.nouns:
        verb = cli.nouns[position[0]].verbs.get(position[1])
        if verb is not None:
            names += [n for o in verb.options for n in o.names if n.startswith("--")]
    return sorted({n for n in names if n.startswith(current)})


def _argument_candidates(context: Context, verb: Verb, slot: int, current: str) -> list[str]:
    positionals = [o for o in verb.options if o.is_positional]
    if slot < len(positionals) and _takes_key(positionals[slot]):
        return key_candidates(context, current)
    return []                          # files and free text: the shell's default


def candidates(context: Context, words: list[str], cword: int) -> list[str]:
    cli = context.cli
    cli.load_all()                      # every noun, also those this run deferred
    current = words[cword] if 0 <= cword < len(words) else ""
    position = positionals(words[:max(cword, 0)], cli.arity_at)
    if current.startswith("-"):
        return _option_candidates(cli, position, current)
    if not position:
        return sorted(n for n in [*cli.nouns, "help"] if n.startswith(current))
    noun = cli.nouns.get(position[0])
    if noun is None:
        return []
    if len(position) == 1:
        return sorted(v for v in noun.verbs if v.startswith(current))
    verb = noun.verbs.get(position[1])
    if verb is None:
        return []
    return _argument_candidates(context, verb, len(position) - 2, current)


class Script(Verb):
    def __init__(self, name: str, script: str):
        self.name, self.script = name, script
        self.help = f"Print the {name} completion script (source it from your shell's rc file)."

    def execute(self, context: Context) -> Result:
        return Result(data={"shell": self.name, "script": self.script}, text=self.script)


class Complete(Verb):
    name = "complete"
    help = "Print completion candidates for a partial command line (used by the scripts)."
    options = (CommandOption("--cword", type=int, required=True,
                             help="index of the word being completed"),
               CommandOption("words", nargs="*", help="the command line after 'aurora'"))

    def execute(self, context: Context) -> Result:
        from aurora.errors import UsageError

        words, cword = list(context.options.words), context.options.cword
        if not 0 <= cword <= len(words):
            raise UsageError(f"--cword {cword} does not point at one of the {len(words)} "
                             "word(s) given", hint=f"use an index from 0 to {len(words)}")
        found = candidates(context, words, cword)
        return Result(data=found, text="".join(f"{c}\n" for c in found))


class CompletionNoun(Noun):
    name = "completion"
    help = "Shell completion for bash and zsh."


@hookimpl
def register_nouns(cli: Any) -> None:
    cli.register_noun(CompletionNoun().with_verbs(Script("bash", BASH), Script("zsh", ZSH),
                                                  Complete()))
