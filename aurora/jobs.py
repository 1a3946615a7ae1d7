"""A job as a verb handles it: its key on the wire, and its job file loaded once per run
(with the cluster's tiers) or read only for its API hooks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aurora.jobkey import JobKey

if TYPE_CHECKING:
    from aurora.command import Context
    from aurora.config.aurora_config import AuroraConfig
    from aurora.config.job import JobConfig


def thrift_key(key: JobKey) -> Any:
    from aurora.api.idl import api

    return api().JobKey(role=key.role, environment=key.env, name=key.name)


def hooks_config(context: Context, key: JobKey) -> AuroraConfig | None:
    """The job file given with `--config` (read only for its API hooks), or None."""
    from aurora.job_file_hooks import hook_view

    o = context.options
    if not o.config:
        return None
    return hook_view(load_config(context, key, o.config, o.bindings, o.read_json))


def load_config(context: Context, key: JobKey, path: str, bindings: list[str] | None = None,
                read_json: bool = False) -> JobConfig:
    """Load `path` for `key`: the scheduler's tiers fill tier/production. Loaded once
    per run (a policy reading `context.config` and the verb share the result)."""
    from aurora.config.job import load_job

    def load() -> JobConfig:
        registry = context.get_cluster(key.cluster).get("docker_registry")
        return load_job(path, key, bindings, read_json,
                        lambda: context.scheduler(key.cluster).get_tier_configs(),
                        warn=lambda message: context.print_stderr(f"aurora: warning: {message}"),
                        docker_registry=registry)
    return context.service("job file", repr((key, path, bindings, read_json)), load)
