"""Job-file API hooks (CLIENT-SPEC §10.1): `hooks = [...]` in a .aurora file.

When the picked job sets `enable_hooks = True`, each hook object may define
`pre_<method>`, `post_<method>` and `err_<method>` (or `generic_hook`) for the
hookable methods: create_job, kill_job, restart, start_cronjob, add_instances.
Every pre hook runs; a falsy result or an exception stops the call with a
clear error (exit 4) instead of upstream's traceback. post and err hooks run
after the call; their failures are warnings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aurora.errors import AuroraError, CommandFailure


@dataclass
class HookConfig:
    """What `generic_hook` receives as its first argument."""
    config: Any
    job_key: Any


def active_hooks(config: Any) -> list[Any]:
    if config is None or not config.hooks or not config.job.enable_hooks().get():
        return []
    return list(config.hooks)


def _call(hook: Any, event: str, method: str, subject: Any, args: tuple, kw: dict,
          config: Any, key: Any) -> Any:
    specific = getattr(hook, f"{event}_{method}", None)
    if specific is not None:
        return specific(*args, **kw) if event == "pre" else specific(subject, *args, **kw)
    generic = getattr(hook, "generic_hook", None)
    if generic is not None:
        return generic(HookConfig(config, key), event, method, subject, args, kw)
    return True


def hooked(context: Any, config: Any, key: Any, method: str, args: tuple, kw: dict,
           call: Callable[[], Any]) -> Any:
    """Run `call` between the job file's pre and post/err hooks for `method`."""
    hooks = active_hooks(config)
    for hook in hooks:
        name = type(hook).__name__
        try:
            ok = _call(hook, "pre", method, None, args, kw, config, key)
        except Exception as exc:  # noqa: BLE001 - a hook's failure is a veto, said plainly
            raise CommandFailure(f"Pre hooks stopped call to {method}: hook {name} failed: "
                                 f"{type(exc).__name__}: {exc}") from None
        if not ok:
            raise CommandFailure(f"Pre hooks stopped call to {method}: hook {name} said no",
                                 hint=f"see the hooks in {config.path}")
    try:
        result = call()
    except AuroraError as exc:
        for hook in hooks:
            _quietly(context, hook, "err", method, exc, args, kw, config, key)
        raise
    for hook in hooks:
        _quietly(context, hook, "post", method, result, args, kw, config, key)
    return result


def _quietly(context: Any, hook: Any, event: str, method: str, subject: Any, args: tuple,
             kw: dict, config: Any, key: Any) -> None:
    try:
        _call(hook, event, method, subject, args, kw, config, key)
    except Exception as exc:  # noqa: BLE001 - after the fact: warn, do not fail
        context.print_err(f"aurora: warning: {event}_{method} hook {type(hook).__name__} "
                          f"failed: {type(exc).__name__}: {exc}")
