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
from aurora.errors import ConfigurationError

if TYPE_CHECKING:
    from aurora.api.client import RetryPolicy, SchedulerClient
    from aurora.api.transport import HttpOptions
    from aurora.clusters import Cluster
    from aurora.connect import Endpoints


class ClientContext(Context):
    """A run's Context with clusters and scheduler clients, built on first use."""

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
        )

        scheduler = self.settings.scheduler
        start = autostart and self.settings.devcluster_autostart
        return connect(self.get_cluster(cluster_name),
                       http or http_options(self.options, self.settings),
                       _ContextHooks(self), retry or retry_policy(self.settings), self.endpoints,
                       float(scheduler.get("failover_timeout") or FAILOVER_TIMEOUT),
                       partial(ensure_devcluster, warn=self.print_stderr) if start else None)


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
