"""Job-file API hooks: `hooks = [...]` in a .aurora file, active with `enable_hooks = True`.

Around each hookable scheduler call (create_job, kill_job, restart,
start_cronjob, add_instances, start_job_update, ...) every hook object may define
`pre_<method>(*args, **kw)`, `post_<method>(response, *args, **kw)` and
`err_<method>(error, *args, **kw)`, or a `generic_hook(hook_config, event,
method, result_or_err, args, kw)` standing in for the ones it lacks. What the
hooks receive has the upstream client's shape (docs/plugins.md): an
`AuroraConfig`, an `AuroraJobKey`, the scheduler's Response, an `APIError`
with `.response`.

All pre hooks run; if any returned something falsy or raised, the call is not
made and the command stops with one line (exit 4). post and err hook failures
are warnings. A new hookable method needs nothing here: its verb calls
`hooked(context, config, job_key, "<method>", args, kw, call)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from aurora.errors import CommandFailure


class HookConfig:
    """`generic_hook`'s first argument: `.config` and `.job_key`, unpackable as a pair."""

    def __init__(self, config: Any, job_key: Any):
        self.config = config
        self.job_key = job_key if job_key is not None else (
            config.job_key() if config is not None else None)

    def __iter__(self) -> Iterator[Any]:
        yield self.config
        yield self.job_key


class APIError(Exception):
    """What err hooks get when the scheduler answered non-OK; `.response` is that answer."""

    def __init__(self, response: Any):
        super().__init__(response)
        self.response = response

    def __str__(self) -> str:
        from aurora.api.idl import response_code_name

        details = ", ".join(d.message or "" for d in (self.response.details or []))
        return f"APIError: {response_code_name(self.response.responseCode)}: {details}"


def hook_view(config: Any) -> Any:
    """The `AuroraConfig` hooks see for a loaded job file (None stays None)."""
    from aurora.config.aurora_config import AuroraConfig

    if config is None or isinstance(config, AuroraConfig):
        return config
    return AuroraConfig(config)


def active_hooks(config: Any) -> list[Any]:
    if config is None or not config.hooks or not config.raw().enable_hooks().get():
        return []
    return list(config.hooks)


def _hook_method(hook: Any, event: str, method: str, subject: Any, args: tuple, kw: dict,
                 hook_config: HookConfig) -> Callable[[], Any] | None:
    specific = getattr(hook, f"{event}_{method}", None)
    if callable(specific):
        if event == "pre":
            return lambda: specific(*args, **kw)
        return lambda: specific(subject, *args, **kw)
    generic = getattr(hook, "generic_hook", None)
    if callable(generic):
        return lambda: generic(hook_config, event, method, subject, args, kw)
    return None


def _run_pre(hooks: list[Any], method: str, args: tuple, kw: dict,
             hook_config: HookConfig) -> list[str]:
    """Run every pre hook (as upstream, a veto does not skip the rest); the refusals."""
    refusals = []
    for hook in hooks:
        call = _hook_method(hook, "pre", method, None, args, kw, hook_config)
        if call is None:
            continue
        name = type(hook).__name__
        try:
            if not call():
                refusals.append(f"hook {name} said no")
        except Exception as exc:  # noqa: BLE001 - a hook's failure is a veto, said plainly
            refusals.append(f"hook {name} failed: {type(exc).__name__}: {exc}")
    return refusals


def _run_after(context: Any, hooks: list[Any], event: str, method: str, subject: Any,
               args: tuple, kw: dict, hook_config: HookConfig) -> None:
    for hook in hooks:
        call = _hook_method(hook, event, method, subject, args, kw, hook_config)
        try:
            if call is not None:
                call()
        except Exception as exc:  # noqa: BLE001 - after the fact: warn, do not fail
            context.print_stderr(f"aurora: warning: {event}_{method} hook {type(hook).__name__} "
                                 f"failed: {type(exc).__name__}: {exc}")


def _as_hook_error(exc: Exception) -> Exception:
    response = getattr(exc, "response", None)
    return APIError(response) if response is not None else exc


def hooked(context: Any, config: Any, job_key: Any, method: str, args: tuple, kw: dict,
           call: Callable[[], Any]) -> Any:
    """Run `call` (which returns the scheduler's Response) between the pre and post/err hooks.

    `config` is the loaded job file (a `JobConfig` or its `AuroraConfig`) or None;
    wherever the `JobConfig` itself appears in `args`/`kw`, hooks see the view.
    """
    view = hook_view(config)
    if view is not config:
        args = tuple(view if a is config else a for a in args)
        kw = {k: view if v is config else v for k, v in kw.items()}
    hooks = active_hooks(view)
    if not hooks:
        return call()
    hook_config = HookConfig(view, job_key)
    refusals = _run_pre(hooks, method, args, kw, hook_config)
    if refusals:
        raise CommandFailure(f"Pre hooks stopped call to {method}: {', '.join(refusals)}",
                             hint=f"see the hooks in {view.path}")
    try:
        result = call()
    except Exception as exc:
        _run_after(context, hooks, "err", method, _as_hook_error(exc), args, kw, hook_config)
        raise
    _run_after(context, hooks, "post", method, result, args, kw, hook_config)
    return result
