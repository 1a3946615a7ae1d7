"""Command hooks: code a site runs before and after chosen commands, and `--skip-hooks`.

A command hook is a plugin's implementation of `pre_execute` / `post_execute`;
its name is the plugin's entry-point name. `--skip-hooks` acts on those two
hooks only, for every plugin alike (nothing is exempt for being built in):
`--skip-hooks all` skips every plugin's command hooks, `--skip-hooks a,b` the
named plugins'; names that match nothing are ignored, as upstream. What a
command needs to reach a scheduler (authentication: `prepare_request`, tunnels:
`rewrite_endpoint`) and to print (`format_output`) are other hooks, which
`--skip-hooks` never touches: the distinction is by hook, not by plugin.

`CommandHook` is the upstream shape (a name, the nouns and verbs it applies
to, `pre_command` returning 0 or an exit code, `post_command` after success);
`as_plugin(hook)` turns one into a pluggy plugin an entry point can name.
"""

from __future__ import annotations

from typing import Any

from aurora.errors import CommandFailure
from aurora.hookspecs import hookimpl

RESERVED = "all"


def skipped_plugins(manager: Any, option: str | None) -> list[Any]:
    """The registered plugin objects whose command hooks `--skip-hooks` turns off."""
    if not option:
        return []
    names = {n.strip() for n in option.split(",") if n.strip()}
    if RESERVED in names:
        return list(manager.get_plugins())
    return [p for p in (manager.get_plugin(n) for n in names) if p is not None]


class CommandHook:
    """Upstream-style command hook; subclass and pass an instance to `as_plugin`."""

    name: str = ""
    nouns: dict[str, set[str]] = {}      # noun -> verbs ("*" for every verb)

    def applies(self, noun: str, verb: str) -> bool:
        verbs = self.nouns.get(noun, set())
        return "*" in verbs or verb in verbs

    def pre_command(self, noun: str, verb: str, context: Any, argv: list[str]) -> int:
        return 0

    def post_command(self, noun: str, verb: str, context: Any, argv: list[str],
                     result: Any) -> None:
        return None


class _Adapter:
    def __init__(self, hook: CommandHook):
        if hook.name == RESERVED:
            raise ValueError(f"Invalid hook name '{RESERVED}'")
        self.hook = hook

    @hookimpl
    def pre_execute(self, context: Any) -> None:
        noun, verb = context.noun.name, context.verb.name
        if not self.hook.applies(noun, verb):
            return
        code = self.hook.pre_command(noun, verb, context, context.argv)
        if code:
            raise CommandFailure(f"Command aborted by command hook {self.hook.name} with "
                                 f"error code {code}", exit_code=int(code),
                                 hint="see the hook's own output above; a site may allow "
                                      "skipping its hooks with --skip-hooks")

    @hookimpl
    def post_execute(self, context: Any, result: Any, exit_code: int) -> None:
        noun, verb = context.noun.name, context.verb.name
        if exit_code == 0 and self.hook.applies(noun, verb):
            self.hook.post_command(noun, verb, context, context.argv, result)


def as_plugin(hook: CommandHook) -> Any:
    """A pluggy plugin running `hook` for its nouns and verbs."""
    return _Adapter(hook)
