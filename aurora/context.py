"""ClientContext: the Context every `aurora` command gets, with the client's services.

The framework's `aurora.command.Context` knows the run (noun, verb, options,
settings, per-run services, stderr). This adds what the client domain gives a
verb: the cluster table and one scheduler client per cluster, connected through
the plugins' connect-time hooks (`rewrite_endpoint`, `prepare_request`). The
entry point hands this class to `aurora.cli.run`; the framework never imports it.
"""

from __future__ import annotations

from functools import cached_property, partial
from typing import TYPE_CHECKING

from aurora.command import Context
from aurora.errors import AuroraError, ConfigurationError

if TYPE_CHECKING:
    from aurora.api.client import RetryPolicy, SchedulerClient
    from aurora.api.transport import HttpOptions
    from aurora.clusters import Cluster
    from aurora.config.job import JobConfig
    from aurora.connect import Endpoints
    from aurora.jobkey import JobKey


KEY_OPTIONS = ("jobspec", "instance_spec", "task_instance", "role", "key", "source", "dest")
FILE_OPTIONS = ("config_file", "config")


class Target:
    """What a command acts on, read from its arguments whatever their shape: a job key,
    a key with instances, a task instance, a role, a pattern, or `task scp`'s remote
    paths. Parts a command does not take are None; a pattern keeps its globs."""

    def __init__(self, cluster: str | None = None, role: str | None = None,
                 environment: str | None = None, name: str | None = None,
                 instances: tuple[int, ...] | None = None):
        self.cluster, self.role, self.environment = cluster, role, environment
        self.name, self.instances = name, instances


def _target_of(value: object) -> Target | None:
    from aurora.jobkey import InstanceKey, JobKey, PartialKey, parse_task_instance

    if isinstance(value, list):             # task scp's sources: the first remote one
        return next(filter(None, map(_target_of, value)), None)
    if isinstance(value, InstanceKey):
        return Target(*value.job, instances=value.instances)
    if isinstance(value, (JobKey, PartialKey)):
        return Target(*value)
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], JobKey):
        return Target(*value[0], instances=(value[1],))     # CLUSTER/ROLE/ENV/NAME/INSTANCE
    if isinstance(value, tuple) and len(value) == 2:
        return Target(value[0], value[1])                   # CLUSTER/ROLE
    if isinstance(value, str) and ":" in value and not value.startswith(("/", ".")):
        try:
            return _target_of(parse_task_instance(value.partition(":")[0]))
        except AuroraError:                 # a local path that only looks remote
            return None
    return None


class ClientContext(Context):
    """A run's Context with clusters and scheduler clients, built on first use, and the
    plugin-facing description of what the command acts on (docs/plugins.md)."""

    # -- what the command acts on (the same names for every verb) ----------------
    @cached_property
    def target(self) -> Target:
        options = vars(self.options)
        for dest in KEY_OPTIONS:
            found = _target_of(options.get(dest))
            if found is not None:
                return found
        return Target()

    @property
    def cluster(self) -> str | None:
        return self.target.cluster

    @property
    def role(self) -> str | None:
        return self.target.role

    @property
    def environment(self) -> str | None:
        return self.target.environment

    @property
    def job_name(self) -> str | None:
        return self.target.name

    @property
    def instances(self) -> tuple[int, ...] | None:
        """The instances the command names (None: all of them, or none taken)."""
        return self.target.instances

    @property
    def job_key(self) -> JobKey | None:
        """The job, when the command names exactly one (no glob, no missing part)."""
        from aurora.jobkey import JobKey, PartialKey

        parts = (self.cluster, self.role, self.environment, self.job_name)
        if None in parts or not PartialKey(*parts).is_exact:  # type: ignore[arg-type]
            return None
        return JobKey(*parts)  # type: ignore[arg-type]

    @property
    def config_file(self) -> str | None:
        """The job file the command was given (CONFIG_FILE, or `--config`), if any."""
        options = vars(self.options)
        return next((options[d] for d in FILE_OPTIONS if options.get(d)), None)

    @property
    def config(self) -> JobConfig | None:
        """The job file loaded for the job (once per run, shared with the verb)."""
        from aurora.jobs import load_config

        key, path = self.job_key, self.config_file
        if key is None or path is None:
            return None
        options = vars(self.options)
        return load_config(self, key, path, options.get("bindings"),
                           bool(options.get("read_json")))

    @property
    def changes_state(self) -> bool:
        """True when the verb changes a cluster (create, kill, update start, ...)."""
        return bool(getattr(self.verb, "changes_state", False))

    # -- clusters and scheduler clients ------------------------------------------

    @cached_property
    def clusters(self) -> dict[str, Cluster]:
        from aurora.clusters import load_clusters

        return load_clusters()

    def get_cluster(self, name: str) -> Cluster:
        """The named cluster, or exit 3 naming the known ones."""
        try:
            return self.clusters[name]
        except KeyError:
            known = ", ".join(sorted(self.clusters)) or "none"
            raise ConfigurationError(
                f"Unknown cluster: {name}",
                hint=f"known clusters are {known}; add it to clusters.json",
            ) from None

    @cached_property
    def endpoints(self) -> Endpoints:
        """Scheduler URLs found this run, shared by clients and web links."""
        from aurora.connect import Endpoints

        return Endpoints()

    def scheduler(self, cluster_name: str) -> SchedulerClient:
        """The SchedulerClient for `cluster_name`, built on first use and kept for the run."""
        return self.service("scheduler", cluster_name, lambda: self.connect(cluster_name))

    def connect(self, cluster_name: str, http: HttpOptions | None = None,
                retry: RetryPolicy | None = None, autostart: bool = True) -> SchedulerClient:
        """A new client for `cluster_name`; `http` and `retry` override the configured ones
        (completion wants short, single tries). Closing it is the caller's job."""
        from aurora.connect import (
            FAILOVER_TIMEOUT,
            connect,
            ensure_devcluster,
            http_options,
            retry_policy,
            tracer,
        )

        scheduler = self.settings.scheduler
        trace = tracer(self.verbose)
        local = partial(ensure_devcluster, warn=self.print_stderr, trace=trace,
                        start=self.settings.devcluster_autostart) if autostart else None
        return connect(self.get_cluster(cluster_name),
                       http or http_options(self.options, self.settings),
                       _ContextHooks(self), retry or retry_policy(self.settings), self.endpoints,
                       float(scheduler.get("failover_timeout") or FAILOVER_TIMEOUT),
                       local, trace)


class _ContextHooks:
    """The connect-time hooks of every plugin, called with this run's context."""

    def __init__(self, context: ClientContext):
        self._context = context

    def rewrite_endpoint(self, cluster: Cluster, url: str) -> str | None:
        return self._context.cli.plugins.hook.rewrite_endpoint(
            context=self._context, cluster=cluster, url=url)

    def prepare_request(self, cluster: Cluster, url: str, headers: dict[str, str]) -> None:
        self._context.cli.plugins.hook.prepare_request(
            context=self._context, cluster=cluster, url=url, headers=headers)
