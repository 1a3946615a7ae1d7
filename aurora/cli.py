"""CommandLine: registers plugins' nouns, dispatches argv, maps every error to an exit.

Flow of one run::

    argv -> split into NOUN, VERB and the rest -> argparse (that verb only)
         -> Context -> pre_execute hooks -> Verb.execute -> Result
         -> format_output hook -> stdout        (progress, warnings -> stderr)
         -> post_execute hooks -> exit code

`run` is the single place where exceptions become messages and exit codes.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from typing import Any

from aurora import __version__, fastpath, grammar, index, required_plugins
from aurora.command import CommandOption, Context, Noun, Verb
from aurora.command_hooks import skipped_plugins
from aurora.errors import AuroraError, ConfigurationError, ExitCode, PluginError, UsageError
from aurora.output import (
    Result,
    debug_log,
    emit,
    emit_err,
    emit_error,
    silence_stdout,
    write_err,
)
from aurora.plugin_manager import (
    PluginManager,
    discover_entry_points,
    env_disabled_plugins,
    env_strict,
)
from aurora.settings import ClientSettings, load_settings

DEFAULT_FORMAT = "text"
ERROR_DOCUMENT_FORMATS = ("json", "yaml")   # formats whose errors are also a document


class _ParserExit(Exception):
    def __init__(self, status: int):
        self.status = status


class ArgumentParser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so `run` keeps control of exit codes."""

    def error(self, message: str) -> None:  # type: ignore[override]
        hint = f"see the options with: {('aurora help ' + self.prog[7:]).strip()}"
        unknown = self._unknown_option(message)
        if unknown is not None:
            from aurora.spelling import did_you_mean

            known = [o for o in self._option_string_actions if o.startswith("--")]
            close = did_you_mean(unknown.split("=", 1)[0], known, shape="{}")
            raise UsageError(f"unknown option '{unknown}'" + (f"; {close}" if close else ""),
                             hint=hint)
        raise UsageError(message, hint=hint)      # one line, not argparse's usage block

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        args = grammar.bind_dash_values(list(args or []), self._takes_one_value)
        self._refuse_unknown_options(args)
        return super().parse_args(args, namespace)

    def _takes_one_value(self, token: str) -> bool:
        action = self._option_string_actions.get(token)
        return action is not None and action.nargs is None

    def _refuse_unknown_options(self, args: list[str]) -> None:
        """A misspelt option is the error, even when it comes first and the value after it
        would fail as a positional (`--wait-untl RUNNING KEY` is not 'invalid key RUNNING').
        Tokens are told apart by the argv grammar (`aurora/grammar.py`); `-h` anywhere
        still shows the help."""
        if any(token in grammar.HELP_FLAGS for token in args[:grammar.end_of_options(args)]):
            return
        for token in grammar.option_tokens(args, self._takes_value):
            self._option_named(token.split("=", 1)[0])      # an unknown one is the error

    def _takes_value(self, token: str) -> bool:
        action = self._option_named(token.split("=", 1)[0])
        return action is not None and action.nargs != 0

    def _option_named(self, name: str) -> argparse.Action | None:
        """The action of option `name` (a unique long prefix too); None when argparse must
        decide (an ambiguous prefix, short options run together, a negative number)."""
        actions = self._option_string_actions
        if name in actions:
            return actions[name]
        if not name.startswith("--"):
            return None
        found = [action for option, action in actions.items() if option.startswith(name)]
        if not found:
            self.error(f"unrecognized arguments: {name}")
        return found[0] if len(found) == 1 else None

    @staticmethod
    def _unknown_option(message: str) -> str | None:
        """The first option argparse did not recognize, if that is the complaint."""
        prefix = "unrecognized arguments: "
        if not message.startswith(prefix):
            return None
        options = [a for a in message[len(prefix):].split() if a.startswith("-")]
        return options[0] if options else None

    def _get_formatter(self) -> argparse.HelpFormatter:
        # The width shutil would find, without importing shutil on every command
        # (argparse builds a formatter for each add_argument).
        return self.formatter_class(prog=self.prog, width=index.terminal_columns() - 2)

    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        if message:
            write_err(message)
        raise _ParserExit(status)


def _core_options() -> list[CommandOption]:
    return [
        CommandOption("-o", "--output-format", metavar="NAME", default=None,
                      help="output format (text, json, ...); default from client.toml or text"),
        CommandOption("--write-json", action="store_true", default=False,
                      help="same as --output-format json (upstream spelling)"),
        CommandOption("-v", "--verbose", action="store_true", default=False,
                      help="say on stderr which scheduler is used, how it was found, and each "
                           "call with its time and outcome"),
        CommandOption("--traceback", action="store_true", default=False,
                      help="print the full traceback of an internal error"),
        CommandOption("--connect-timeout", metavar="SECONDS", type=_seconds, default=None,
                      help="seconds to wait for a scheduler connection (default 10)"),
        CommandOption("--timeout", metavar="SECONDS", type=_seconds, default=None,
                      help="seconds to wait for a scheduler answer (default 60)"),
        CommandOption("--ca-bundle", metavar="FILE", default=None,
                      help="CA certificates to verify the scheduler's TLS certificate"),
        CommandOption("--skip-hooks", metavar="NAMES", default=None,
                      help="skip these command hooks (comma-separated plugin names, or all)"),
        CommandOption("--bypass-leader-redirect", action="store_true", default=False,
                      help="ask a non-leading scheduler to answer itself instead of "
                           "redirecting to the leader"),
    ]


def _seconds(text: str) -> float:
    """A timeout flag: finite, above 0 and at most a day (nan, inf and 1e309 refused)."""
    from aurora.settings import MAX_SECONDS, valid_seconds

    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not valid_seconds(value):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, at most "
                                         f"{MAX_SECONDS}, got '{text}'")
    return value


class CommandLine:
    """The registry of nouns and global options, and the dispatcher of one run.

    Made before any plugin is loaded: it asks pluggy for the registration hooks once,
    as historic calls, and each plugin's implementations run as the plugin registers
    (see `aurora/plugin_manager.py`). `settle` then undoes what failed plugins added.
    """

    def __init__(self, settings: ClientSettings, plugins: PluginManager,
                 context_type: type[Context] = Context):
        self.settings = settings
        self.plugins = plugins
        self.context_type = context_type      # what each run's Context is made from
        self.nouns: dict[str, Noun] = {}
        self.global_options: list[CommandOption] = _core_options()
        self._formats: list[tuple[str, str]] = []     # (format, plugin), calling order
        self._owners: dict[int, str] = {}
        self._waiting_verbs: list[tuple[str, Verb, str]] = []   # noun not registered yet
        self.index_data: dict[str, Any] | None = None     # the command index, when valid
        hook = plugins.hook
        for name in ("register_nouns", "register_verbs", "register_options"):
            getattr(hook, name).call_historic(kwargs={"cli": self})
        hook.register_output_formats.call_historic(self._add_formats, kwargs={})

    # -- registration (called from plugins' hooks) ----------------------------
    def _owner(self) -> str:
        return self.plugins.registering or ""

    def register_noun(self, noun: Noun) -> None:
        if noun.name in self.nouns:
            raise ValueError(f"noun '{noun.name}' is already registered")
        self.nouns[noun.name] = noun
        self._owners[id(noun)] = self._owner()

    def add_verb(self, noun_name: str, verb: Verb) -> None:
        """Add a verb to a noun; a noun not registered yet gets it when `settle` runs, so
        plugins may come in any order."""
        noun = self.nouns.get(noun_name)
        if noun is None:
            self._waiting_verbs.append((noun_name, verb, self._owner()))
            return
        if verb.name in noun.verbs:
            raise ValueError(f"verb '{noun_name} {verb.name}' is already registered")
        noun.register_verb(verb)
        self._owners[id(verb)] = self._owner()

    def add_global_option(self, option: CommandOption) -> None:
        taken = {n for o in self.global_options for n in o.names}
        clash = taken.intersection(option.names)
        if clash:
            raise ValueError(f"global option {sorted(clash)[0]} is already registered")
        self.global_options.append(option)
        self._owners[id(option)] = self._owner()

    def _add_formats(self, names: list[str] | None) -> None:
        """A plugin's output formats; the last registered is asked first, so it leads."""
        mine = [(n, self._owner()) for n in names or []]
        self._formats = mine + self._formats

    @property
    def output_formats(self) -> list[str]:
        found: list[str] = []
        for name, _ in self._formats:
            if name not in found:
                found.append(name)
        return found

    def settle(self) -> None:
        """After loading: attach the verbs that waited for their noun, fail the plugins
        whose verbs cannot be added, and undo whatever failed plugins registered."""
        waiting, self._waiting_verbs = self._waiting_verbs, []
        deferred = any(r.status == "deferred" for r in self.plugins.records.values())
        for noun_name, verb, owner in waiting:
            noun = self.nouns.get(noun_name)
            if noun is None and deferred:       # its noun may come with `load_all`
                self._waiting_verbs.append((noun_name, verb, owner))
            elif noun is None or verb.name in noun.verbs:
                problem = (f"cannot add verb '{verb.name}': there is no noun '{noun_name}'"
                           if noun is None else
                           f"verb '{noun_name} {verb.name}' is already registered")
                self.plugins.fail(owner, "raised in register_verbs", f"ValueError: {problem}")
            else:
                noun.register_verb(verb)
                self._owners[id(verb)] = owner
        self._forget(self.plugins.failed())

    def _forget(self, plugin_names: set[str]) -> None:
        """Undo whatever failed plugins registered before they failed."""
        def mine(obj: Any) -> bool:
            return self._owners.get(id(obj)) in plugin_names
        self.nouns = {k: n for k, n in self.nouns.items() if not mine(n)}
        for noun in self.nouns.values():
            noun.verbs = {k: v for k, v in noun.verbs.items() if not mine(v)}
        self.global_options = [o for o in self.global_options if not mine(o)]
        self._formats = [(n, p) for n, p in self._formats if p not in plugin_names]

    def load_all(self) -> None:
        """Load and register the plugins this run deferred (see `fastpath.plugins_needed`),
        for whoever needs every noun or plugin (completion, `plugins list`, help)."""
        self.plugins.load_all()
        self.settle()

    # -- help -------------------------------------------------------------------
    def top_help(self) -> str:
        from aurora import helptext

        self.load_all()
        return helptext.top_help(list(self.nouns.values()), self.global_options)

    def command_map(self) -> dict[str, Any]:
        """What the command index needs to load only the plugins a command uses."""
        records = self.plugins.records.values()
        nouns = {}
        for name, noun in self.nouns.items():       # the noun's owner first
            owner = self._owners.get(id(noun), "")
            others = {self._owners.get(id(v), "") for v in noun.verbs.values()}
            nouns[name] = [owner, *sorted(others - {owner, ""})]
        return {"plugins": {r.name: self.plugins.hooks_of(r.name) for r in records
                            if r.status == "loaded"},
                "failed": [r.name for r in records if r.status == "failed"],
                "nouns": nouns,
                "options": {n: int(o.takes_value) for o in self.global_options
                            for n in o.names}}

    def help_pages(self) -> dict[str, Any]:
        from aurora import helptext

        return {"top": self.top_help(),
                "nouns": {n.name: helptext.noun_help(n) for n in self.nouns.values()}}

    def verb_parser(self, noun: Noun, verb: Verb) -> ArgumentParser:
        parser = ArgumentParser(prog=f"aurora {noun.name} {verb.name}",
                                description=verb.description or verb.help)
        for option in verb.options:
            option.add_to(parser)
        group = parser.add_argument_group("global options")
        for option in self.global_options:
            option.add_to(group)  # type: ignore[arg-type]
        return parser

    def _lookup_noun(self, name: str) -> Noun:
        if name not in self.nouns:
            self.load_all()         # a deferred plugin's noun, or to suggest a close one
        if name not in self.nouns and self.plugins.is_blocked(name):
            where = ("AURORA_DISABLE_PLUGINS" if name in env_disabled_plugins()
                     else " or ".join(self.settings.files) or "client.toml")
            raise UsageError(f"unknown noun '{name}': the {name} plugin is disabled in {where}",
                             hint=f"remove '{name}' from [plugins] disable there to use it"
                             if where != "AURORA_DISABLE_PLUGINS" else
                             f"remove '{name}' from AURORA_DISABLE_PLUGINS to use it")
        if name not in self.nouns:
            raise UsageError(fastpath.unknown_noun(name, list(self.nouns)))
        return self.nouns[name]

    def _lookup_verb(self, noun: Noun, name: str) -> Verb:
        if name not in noun.verbs:
            from aurora.spelling import did_you_mean

            raise UsageError(f"unknown verb '{name}' for noun '{noun.name}'",
                             hint=did_you_mean(name, noun.verbs)
                             or f"run 'aurora help {noun.name}' for its verbs")
        return noun.verbs[name]

    def help(self, topic: list[str]) -> int:
        from aurora import helptext

        if not topic:
            emit(self.top_help())
            return 0
        noun = self._lookup_noun(topic[0])
        if len(topic) == 1:
            emit(helptext.noun_help(noun))
            return 0
        return self.verb_help(noun, self._lookup_verb(noun, topic[1]))

    def verb_help(self, noun: Noun, verb: Verb) -> int:
        """Show a verb's help, and keep it in the command index for the next time."""
        text = self.verb_parser(noun, verb).format_help()
        emit(text)
        if self.index_data is not None:
            index.remember_verb_help(self.index_data, noun.name, verb.name, text,
                                     index.terminal_columns())
        return 0

    # -- dispatch ---------------------------------------------------------------
    def arity_at(self, words: list[str]) -> grammar.Arity:
        """Which options take a value once the arguments `words` are known: the global
        options, and the verb's own once `words` name NOUN VERB."""
        options = list(self.global_options)
        noun = self.nouns.get(words[0]) if len(words) >= 2 else None
        verb = noun.verbs.get(words[1]) if noun is not None else None
        if verb is not None:
            options += [o for o in verb.options if not o.is_positional]
        return grammar.option_arity({n: int(o.takes_value) for o in options for n in o.names})

    def split(self, argv: list[str]) -> grammar.Split:
        """NOUN and VERB among leading global options (the argv grammar's answer); an
        unknown option before the verb is a usage error."""
        found = grammar.split(argv, self.arity_at([]))
        if found.unknown is not None:
            where = f"aurora {' '.join(found.words)}".strip()
            raise UsageError(f"unknown option '{found.unknown}' before the verb",
                             hint=f"verb options go after NOUN VERB; see '{where} -h'"
                             if found.words else "run 'aurora help'")
        return found

    def dispatch(self, argv: list[str]) -> int:
        found = self.split(argv)
        words, rest, wants_help = found.words, found.rest, found.wants_help
        if words and words[0] == "help":
            return self.help(words[1:])
        if not words:
            if wants_help or not rest:
                return self.help([])
            raise UsageError("no command given", hint="run 'aurora help' for the list of nouns")
        noun = self._lookup_noun(words[0])
        if len(words) == 1:
            if wants_help:
                return self.help([noun.name])
            raise UsageError(f"noun '{noun.name}' needs a verb",
                             hint=f"choose one of: {', '.join(sorted(noun.verbs))}")
        verb = self._lookup_verb(noun, words[1])
        if grammar.verb_help_words(argv) == (noun.name, verb.name):
            return self.verb_help(noun, verb)
        parser = self.verb_parser(noun, verb)
        try:
            options = parser.parse_args(rest + (["--help"] if wants_help else []))
        except _ParserExit as done:
            return done.status
        return self.execute(noun, verb, options, argv)

    def output_format_of(self, options: argparse.Namespace) -> str:
        name = "json" if options.write_json else (
            options.output_format or self.settings.output_format or DEFAULT_FORMAT)
        if name in self.output_formats:
            return name
        choices = f"choose one of: {', '.join(self.output_formats)}"
        if not options.write_json and not options.output_format:    # it came from the file
            where = " or ".join(self.settings.files) or "client.toml"
            raise ConfigurationError(f"{where}: [output] format '{name}' is not an output "
                                     "format", hint=choices)
        raise UsageError(f"unknown output format '{name}'", hint=choices)

    def execute(self, noun: Noun, verb: Verb, options: argparse.Namespace,
                argv: list[str]) -> int:
        if (noun.name, verb.name) not in required_plugins.STILL_ALLOWED:
            required_plugins.check(self.plugins, self.settings.required_plugins,
                                   options.skip_hooks)
        options.output_format = self.output_format_of(options)
        context = self.context_type(self, noun, verb, options, argv)
        skipped = skipped_plugins(self.plugins, options.skip_hooks)
        pre = self.plugins.subset_hook_caller("pre_execute", skipped)    # the plain hook
        post = self.plugins.subset_hook_caller("post_execute", skipped)  # when none skipped
        result: Result | None = None
        code = ExitCode.UNKNOWN_ERROR
        try:
            pre(context=context)
            outcome = verb.execute(context)
            result = outcome if isinstance(outcome, Result) else Result(exit_code=int(outcome or 0))
            self.render(context, result)
            code = result.exit_code
            return code
        except AuroraError as exc:
            code = exc.exit_code
            self.render_error(context, exc)
            raise
        finally:
            self.run_post_execute(post, context, result, int(code))
            context.close()

    def render(self, context: Context, result: Result) -> None:
        if result.streamed:         # written while the verb ran (output.emit_now)
            return
        text = self.plugins.hook.format_output(context=context, result=result,
                                                  format_name=context.output_format)
        if text is None:
            raise UsageError(f"no plugin renders output format '{context.output_format}'",
                             hint="see the formats and their plugins with: aurora plugins list")
        emit(text)

    def render_error(self, context: Context, exc: AuroraError) -> None:
        """JSON and YAML also get the error as a document on stdout (others: stderr only)."""
        if context.output_format not in ERROR_DOCUMENT_FORMATS:
            return
        error = Result(data={"error": {"message": str(exc), "exit_code": int(exc.exit_code)}},
                       exit_code=int(exc.exit_code))
        try:
            self.render(context, error)
        except AuroraError:
            pass

    def run_post_execute(self, post: Any, context: Context, result: Result | None,
                         code: int) -> None:
        try:
            post(context=context, result=result, exit_code=code)
        except Exception as exc:  # noqa: BLE001 - cleanup never changes the outcome
            who = self.plugins.blame(exc.__traceback__) or "unknown"
            emit_err(f"aurora: warning: plugin '{who}' failed in post_execute: {exc}")


UNREAD: Any = object()      # the command index was not read yet this run


def build(settings: ClientSettings | None = None, argv: list[str] | None = None,
          cached: dict[str, Any] | None = UNREAD,
          context_type: type[Context] = Context) -> CommandLine:
    """Discover and register the plugins (with a valid command index `cached`, only those
    that `argv` needs); refresh the command index when it was not valid."""
    settings = settings or load_settings()
    manager = PluginManager(disabled=settings.disabled_plugins | env_disabled_plugins(),
                            strict=settings.strict_plugins or env_strict(),
                            required=settings.required_plugins)
    cli = CommandLine(settings, manager, context_type)      # before loading: see its docstring
    cached = index.read() if cached is UNREAD else cached
    cli.index_data = cached
    if cached is not None:
        needed = fastpath.plugins_needed(cached, argv) if argv is not None else None
        if needed is not None:                  # a required plugin is always checked
            needed |= set(settings.required_plugins)
        manager.load([tuple(e) for e in cached["entry_points"]], only=needed)
    else:
        manager.load(discover_entry_points())
    cli.settle()
    if cached is None:
        cli.index_data = index.write(list(manager.records_entry_points()),
                                     manager.loaded_files(), cli.help_pages(),
                                     manager.warnings, cli.command_map())
    return cli


def _report_internal(exc: BaseException, show_traceback: bool, cli: CommandLine | None) -> None:
    import traceback

    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    where = cli.plugins.blame(exc.__traceback__) if cli else None
    culprit = f"plugin '{where}' failed" if where else "internal error"
    if show_traceback:
        write_err(text)
        emit_err(f"aurora: {culprit}: {type(exc).__name__}: {exc}")
        return
    path = os.path.join(index.cache_dir(), "last-traceback.txt")
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        saved = f"traceback saved in {path}"
    except OSError:
        saved = "rerun with --traceback to see where"
    emit_error(f"aurora: {culprit}: {type(exc).__name__}: {exc} ({saved})")


def _setup_logging(verbose: bool) -> None:
    """Debug logging on stderr with -v; otherwise logging is not even imported here
    (Python's last-resort handler still shows warnings)."""
    if not verbose:
        return
    import logging

    debug_log(logging.DEBUG)


def run(argv: list[str], context_type: type[Context] = Context,
        command_index: dict[str, Any] | None = UNREAD) -> int:
    """Run one command; every outcome becomes an exit code here and only here.

    `context_type`: the Context the verb gets (the `aurora` command gives
    `aurora.context.ClientContext`, with clusters and scheduler clients);
    `command_index`: the index as `aurora/__main__.py` read it (None when not valid).
    """
    early = grammar.flags(argv)
    show_traceback = early["traceback"]
    cli: CommandLine | None = None
    try:
        _setup_logging(early["verbose"])
        if early["version"]:
            emit(__version__)
            return 0
        cli = build(argv=argv, cached=command_index, context_type=context_type)
        return cli.dispatch(argv)
    except KeyboardInterrupt:
        emit_err("aurora: interrupted")
        return ExitCode.INTERRUPTED
    except UsageError as exc:
        emit_error(f"aurora: error: {exc}")
        return exc.exit_code
    except PluginError as exc:
        emit_error(f"aurora: error: {exc}")
        return exc.exit_code
    except AuroraError as exc:
        emit_error(f"aurora: {exc}")
        return exc.exit_code
    except BrokenPipeError:
        # stdout closed early (`aurora job list ... | head`): not an error.
        silence_stdout()
        return ExitCode.OK
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        _report_internal(exc, show_traceback, cli)
        return ExitCode.UNKNOWN_ERROR
