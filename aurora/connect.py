"""From a cluster name to a ready SchedulerClient.

Resolves the endpoint (`zk` wins over `scheduler_uri`, as upstream),
gathers the HTTP options (command-line flags over client.toml over defaults),
lets plugins adjust the request headers (`prepare_request`, where auth plugins
attach credentials), and starts the embedded devcluster when the built-in
`devcluster` cluster (or an entry with `"autostart": true`) is targeted and
nothing answers on its port. A leader found through ZooKeeper that does not
answer is looked up again until its successor does (`failover`).
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from aurora.clusters import Cluster
from aurora.errors import ConfigurationError

if TYPE_CHECKING:
    import argparse

    from aurora.api.client import RetryPolicy, SchedulerClient
    from aurora.api.transport import HttpOptions
    from aurora.settings import ClientSettings

FAILOVER_TIMEOUT = 30.0     # seconds to wait for a new leader (client.toml can change it)


def endpoint_of(cluster: Cluster, timeout: float | None = None) -> str:
    """The scheduler's base URL for `cluster` (ZooKeeper first, as upstream)."""
    if cluster.get("zk"):
        from aurora.discovery import ZK_TIMEOUT, discover_scheduler

        return discover_scheduler(cluster, timeout or ZK_TIMEOUT)
    uri = cluster.get("scheduler_uri")
    if uri:
        return uri
    raise ConfigurationError(f'cluster "{cluster.name}" does not specify zk or scheduler_uri',
                             hint="set one of them in clusters.json")


class Endpoints:
    """Scheduler URLs found per cluster, once per command: the client and web links share them."""

    def __init__(self) -> None:
        self._urls: dict[str, str] = {}

    def get(self, cluster: Cluster, timeout: float | None = None) -> str:
        if cluster.name not in self._urls:
            self._urls[cluster.name] = endpoint_of(cluster, timeout)
        return self._urls[cluster.name]

    def await_leader(self, cluster: Cluster, timeout: float, seconds: float) -> str:
        """The first leader to register within `seconds` (the ServerSet was empty)."""
        from aurora.discovery import discover_scheduler

        url = discover_scheduler(cluster, timeout, answers=lambda _url: True, failover=seconds)
        self._urls[cluster.name] = url
        return url

    def failover(self, cluster: Cluster, http: HttpOptions, seconds: float,
                 wait: bool = True) -> str:
        """The leader that answers, when the one ZooKeeper named first does not.

        A leader killed outright stays in the ServerSet until its ZooKeeper session
        expires; the standby takes over then. Read the ServerSet again until a
        leader answers or `seconds` have passed (exit 7); without `wait` (no
        retries wanted) the ServerSet is read only once more.
        """
        from aurora.discovery import discover_scheduler

        probe_timeout = min(http.connect_timeout, 5.0)
        url = self.get(cluster, http.connect_timeout)
        if not url_answers(url, probe_timeout):
            url = discover_scheduler(
                cluster, http.connect_timeout,
                answers=lambda found: url_answers(found, probe_timeout),
                failover=seconds if wait else 0.0)
            self._urls[cluster.name] = url
        return url


class HookRelay(Protocol):
    """The plugins' say in connecting (`rewrite_endpoint`, `prepare_request`), bound to a run."""

    def rewrite_endpoint(self, cluster: Cluster, url: str) -> str | None: ...

    def prepare_request(self, cluster: Cluster, url: str, headers: dict[str, str]) -> None: ...


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_options(options: argparse.Namespace, settings: ClientSettings) -> HttpOptions:
    """Timeouts, CA bundle and redirect header: command-line flags over client.toml."""
    from aurora.api.transport import HttpOptions

    http = HttpOptions()
    connect = options.connect_timeout or settings.scheduler.get("connect_timeout")
    read = options.timeout or settings.scheduler.get("timeout")
    bundle = options.ca_bundle or settings.scheduler.get("ca_bundle")
    if connect:
        http.connect_timeout = float(connect)
    if read:
        http.timeout = float(read)
    if options.bypass_leader_redirect:
        http.headers["Bypass-Leader-Redirect"] = "true"
    if bundle:
        bundle = os.path.expanduser(str(bundle))
        if not os.path.isfile(bundle):
            raise ConfigurationError(f"CA bundle {bundle} does not exist",
                                     hint="pass an existing PEM file to --ca-bundle")
        http.ca_bundle = bundle
    return http


def retry_policy(settings: ClientSettings) -> RetryPolicy:
    """`[scheduler] retries` from client.toml, else the default policy."""
    from aurora.api.client import RetryPolicy

    retries = settings.scheduler.get("retries")
    return RetryPolicy() if retries is None else RetryPolicy(retries=int(retries))


def connect(cluster: Cluster, http: HttpOptions, hooks: HookRelay, retry: RetryPolicy,
            endpoints: Endpoints | None = None, failover_timeout: float = FAILOVER_TIMEOUT,
            autostart: Callable[[str], None] | None = None) -> SchedulerClient:
    """A client for `cluster`: endpoint, the plugins' routing and headers, autostart.

    `endpoints` shares discovery with web links; `autostart(base)` starts a
    local devcluster when the cluster asks for one (`ensure_devcluster`).
    """
    from aurora.api.client import SchedulerClient

    endpoints = endpoints or Endpoints()
    failover_timeout = min(failover_timeout, http.timeout)      # --timeout bounds it too
    base = _endpoint(endpoints, cluster, http, failover_timeout if retry.retries > 0 else 0.0)
    routed = hooks.rewrite_endpoint(cluster, base)
    base = routed or base
    before = set(http.headers)
    hooks.prepare_request(cluster, base, http.headers)
    http.origin_bound |= set(http.headers) - before     # credentials: only to `base`'s origin
    discovered = bool(cluster.get("zk")) and not routed
    if discovered:
        base = endpoints.failover(cluster, http, failover_timeout, wait=retry.retries > 0)
    if autostart is not None and cluster.autostarts:
        autostart(base)
    resolve = (lambda: endpoint_of(cluster, http.connect_timeout)) if discovered else None
    from aurora.output import emit_err

    return SchedulerClient(cluster.name, base, http, retry, resolve=resolve, progress=emit_err)


def _endpoint(endpoints: Endpoints, cluster: Cluster, http: HttpOptions, wait: float) -> str:
    """The cluster's endpoint; an empty ServerSet is waited on for up to `wait` seconds.

    Between a leader's death (its session expiring) and its successor's
    announcement nobody is registered; that gap is part of a failover.
    """
    if not cluster.get("zk"):           # no ServerSet to wait on (nor to import for)
        return endpoints.get(cluster, http.connect_timeout)
    from aurora.discovery import NoLeader

    try:
        return endpoints.get(cluster, http.connect_timeout)
    except NoLeader:
        if not wait:
            raise
        return endpoints.await_leader(cluster, http.connect_timeout, wait)


def _loopback_port(base: str) -> tuple[str, int] | None:
    parts = urlsplit(base)
    host = parts.hostname or ""
    loopback = host in ("localhost", "127.0.0.1", "::1")
    if not loopback:
        import ipaddress

        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
    if not loopback or parts.scheme != "http":
        return None
    return host, parts.port or 80


def answers(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def url_answers(url: str, timeout: float) -> bool:
    """Whether something accepts connections at `url`'s host and port."""
    parts = urlsplit(url)
    if not parts.hostname:
        return False
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return answers(parts.hostname, port, timeout)


def ensure_devcluster(base: str, warn: Callable[[str], None]) -> None:
    """Start `aurora-devcluster` in the background when nothing answers at `base`."""
    target = _loopback_port(base)
    if target is None or answers(*target):
        return
    import subprocess

    host, port = target
    command = [sys.executable, "-m", "aurora.devcluster", "start", "--port", str(port)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise ConfigurationError(
            f"the devcluster is not running and could not be started: "
            f"{detail[-1] if detail else 'no output'}",
            hint="start it yourself with: aurora-devcluster start")
    from aurora.api.transport import redact

    warn(f"aurora: started the devcluster at {redact(base)} for this command; stop it "
                      "with: aurora-devcluster stop (set autostart = false under [devcluster] "
                      "in client.toml to turn this off)")

