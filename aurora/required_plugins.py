"""Required plugins: a site's policy fails closed.

A site names the plugins every command needs (`[plugins] required` in client.toml,
or `$AURORA_REQUIRED_PLUGINS`). If one is not installed, failed to load or to
register, is disabled, or would be skipped with `--skip-hooks`, the command stops
before anything reaches a scheduler (exit 3). Help, `--version` and `aurora
plugins list` still work, so a user can see what is wrong.
"""

from __future__ import annotations

from typing import Any

from aurora.errors import ConfigurationError

STILL_ALLOWED = {("plugins", "list")}


def _why_unusable(manager: Any, name: str, skipped: set[str]) -> str | None:
    record = manager.records.get(name)
    if record is None:
        return "is not installed"
    if record.status == "disabled":
        return "is disabled (AURORA_DISABLE_PLUGINS or [plugins] disable)"
    if record.status == "failed":
        return f"is broken: {record.reason}"
    if name in skipped or "all" in skipped:
        return "cannot be skipped with --skip-hooks"
    return None


def check(manager: Any, required: dict[str, str], skip_hooks: str | None) -> None:
    """Raise for the first required plugin that cannot act; `required` maps each name to
    the file (or variable) that requires it."""
    skipped = {n.strip() for n in (skip_hooks or "").split(",") if n.strip()}
    for name, where in required.items():
        problem = _why_unusable(manager, name, skipped)
        if problem is not None:
            raise ConfigurationError(
                f"required plugin '{name}' {problem}",
                hint=f"{where} requires it, so no command runs without it; ask whoever "
                     f"maintains {where} (your Aurora admins) to fix it")
