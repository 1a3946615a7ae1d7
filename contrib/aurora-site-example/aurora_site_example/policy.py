"""Site policy: a global --force, no killall in prod without it, and an audit hook."""

from __future__ import annotations

import os
from typing import Any

from aurora.command import CommandOption
from aurora.command_hooks import CommandHook, as_plugin
from aurora.errors import CommandFailure
from aurora.hookspecs import hookimpl


@hookimpl
def register_options(cli: Any) -> None:
    cli.add_global_option(CommandOption("--force", action="store_true", default=False,
                                        help="allow what site policy refuses by default"))


@hookimpl
def pre_execute(context: Any) -> None:
    if (context.noun.name, context.verb.name) != ("job", "killall"):
        return
    if context.options.jobspec.env == "prod" and not context.options.force:
        raise CommandFailure(f"site policy: killall of {context.options.jobspec} in prod needs "
                             "--force", hint="kill some instances with job kill, or add --force")


class Audit(CommandHook):
    """Appends every successful create/kill/killall to $AURORA_SITE_AUDIT_LOG."""

    name = "site-audit"
    nouns = {"job": {"create", "kill", "killall", "restart"}}

    def pre_command(self, noun: str, verb: str, context: Any, argv: list[str]) -> int:
        return 7 if os.environ.get("AURORA_SITE_AUDIT_BLOCK") else 0

    def post_command(self, noun: str, verb: str, context: Any, argv: list[str],
                     result: Any) -> None:
        path = os.environ.get("AURORA_SITE_AUDIT_LOG")
        if path:
            with open(path, "a") as log:
                log.write(f"{noun} {verb} {' '.join(argv)}\n")


audit_hook = as_plugin(Audit())
