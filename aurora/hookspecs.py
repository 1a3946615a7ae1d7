"""The hooks a plugin may implement (pluggy project name ``aurora``).

Every hook is documented here, where it is declared, and again in
docs/plugins.md; a test fails when the two disagree. Plugins implement hooks
with the ``hookimpl`` marker exported from this module::

    from aurora.hookspecs import hookimpl

    @hookimpl
    def register_nouns(cli):
        cli.register_noun(MyNoun())

pluggy calls the most recently registered implementation first. Built-in
plugins are registered before site plugins, so where only one result is taken
(``format_output``) a site's implementation wins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import pluggy

if TYPE_CHECKING:
    from collections.abc import Iterable

    from aurora.command import CommandOption, Context, Noun, Verb
    from aurora.output import Result

PROJECT = "aurora"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class Registry(Protocol):
    """What the registration hooks may call (`aurora.cli.CommandLine` provides it)."""

    def register_noun(self, noun: Noun) -> None: ...

    def add_verb(self, noun_name: str, verb: Verb) -> None: ...

    def add_global_option(self, option: CommandOption) -> None: ...


@hookspec(historic=True)
def register_nouns(cli: Registry) -> None:
    """Add nouns with ``cli.register_noun(noun)``.

    Called when the plugin registers (the registration hooks are historic), inside
    an isolation that fails only this plugin if it raises. Registering a noun whose
    name is taken is an error of the registering plugin: it is skipped with a
    warning and the first noun stays.
    """


@hookspec(historic=True)
def register_verbs(cli: Registry) -> None:
    """Add verbs to nouns that already exist: ``cli.add_verb("job", MyVerb())``.

    A verb for a noun no plugin has registered yet waits until every plugin has
    registered, so a site plugin can extend any noun regardless of load order;
    a noun that never comes fails the plugin with a warning.
    """


@hookspec(historic=True)
def register_options(cli: Registry) -> None:
    """Add global options with ``cli.add_global_option(CommandOption(...))``.

    A global option is accepted before the noun or after the verb of every
    command; its value is on ``context.options`` under its ``dest``.
    """


@hookspec(historic=True)
def register_output_formats() -> list[str]:
    """Return the names of the output formats this plugin renders.

    The names become the choices of ``--output-format``; the rendering itself
    happens in ``format_output``.
    """


@hookspec
def pre_execute(context: Context) -> None:
    """Run before the verb executes.

    Raise an ``aurora.errors.AuroraError`` subclass to veto the command: its
    message is printed and its exit code returned (``CommandFailure`` = 4 is the
    usual choice for a policy refusal). Every implementation runs, in pluggy
    order, until one raises.
    """


@hookspec
def post_execute(context: Context, result: Result | None, exit_code: int) -> None:
    """Run after the verb, also when it failed (``result`` is None then).

    Meant for cleanup and auditing; exceptions raised here are reported as
    warnings and never change the exit code.
    """


@hookspec(firstresult=True)
def format_output(context: Context, result: Result,
                  format_name: str) -> str | Iterable[str] | None:
    """Render ``result`` in the format ``format_name`` and return the text, whole or
    as an iterable of pieces (written as they come: large output is never held whole).

    Return None for formats this plugin does not render. The first non-None
    answer wins; site plugins are asked before built-ins, so a site can replace
    a built-in format by name.
    """


@hookspec
def prepare_request(context: Context, cluster: Any, url: str,
                    headers: dict[str, str]) -> None:
    """Adjust the HTTP headers sent to a scheduler, in place.

    Called once per scheduler client before its first call; an auth plugin adds
    e.g. ``Authorization`` here. A value may be a zero-argument callable, called
    for every request (one-time tokens such as Kerberos). Credentials must
    never be logged or put in error messages.
    """


@hookspec(firstresult=True)
def rewrite_endpoint(context: Context, cluster: Any, url: str) -> str | None:
    """Return a base URL to use instead of ``url`` for this cluster, or None.

    Called once per scheduler client, after discovery; a tunnel plugin returns
    the local end of its tunnel here. Whatever the plugin starts for this
    must be registered with ``context.service(...)`` so that it is closed at
    the end of the command, also on errors and Ctrl-C.
    """


HOOK_NAMES: tuple[str, ...] = (
    "register_nouns",
    "register_verbs",
    "register_options",
    "register_output_formats",
    "pre_execute",
    "post_execute",
    "format_output",
    "prepare_request",
    "rewrite_endpoint",
)


def describe() -> dict[str, Any]:
    """Name -> hookspec function, for docs checks and `aurora plugins list`."""
    return {name: globals()[name] for name in HOOK_NAMES}
