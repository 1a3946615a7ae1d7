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
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aurora.clusters import Cluster
from aurora.errors import ConfigurationError

if TYPE_CHECKING:
    from aurora.api.client import RetryPolicy, SchedulerClient
    from aurora.api.transport import HttpOptions
    from aurora.command import Context

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


def _found(context: Context, cluster: Cluster, timeout: float | None) -> dict[str, str]:
    return context.service("endpoint", cluster.name,
                           lambda: {"url": endpoint_of(cluster, timeout)})


def endpoint(context: Context, cluster: Cluster, timeout: float | None = None) -> str:
    """`endpoint_of`, once per command: the client and the web links share one lookup."""
    return _found(context, cluster, timeout)["url"]


def failover(context: Context, cluster: Cluster, http: HttpOptions, wait: bool = True) -> str:
    """The leader that answers, when the one ZooKeeper named first does not.

    A leader killed outright stays in the ServerSet until its ZooKeeper session
    expires; the standby takes over then. Read the ServerSet again until a
    leader answers or `[scheduler] failover_timeout` seconds have passed (exit 7);
    without `wait` (no retries wanted) the ServerSet is read only once more.
    """
    from aurora.discovery import discover_scheduler

    probe_timeout = min(http.connect_timeout, 5.0)
    seconds = float(context.settings.scheduler.get("failover_timeout") or FAILOVER_TIMEOUT)
    found = _found(context, cluster, http.connect_timeout)
    if url_answers(found["url"], probe_timeout):
        return found["url"]
    found["url"] = discover_scheduler(
        cluster, http.connect_timeout, answers=lambda url: url_answers(url, probe_timeout),
        failover=seconds if wait else 0.0)
    return found["url"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_options(context: Context, cluster: Cluster) -> HttpOptions:
    from aurora.api.transport import HttpOptions

    options, settings = context.options, context.settings
    http = HttpOptions()
    connect = getattr(options, "connect_timeout", None) or settings.scheduler.get(
        "connect_timeout")
    read = getattr(options, "timeout", None) or settings.scheduler.get("timeout")
    bundle = getattr(options, "ca_bundle", None) or settings.scheduler.get("ca_bundle")
    if connect:
        http.connect_timeout = float(connect)
    if read:
        http.timeout = float(read)
    if getattr(options, "bypass_leader_redirect", False):
        http.headers["Bypass-Leader-Redirect"] = "true"
    if bundle:
        bundle = os.path.expanduser(str(bundle))
        if not os.path.isfile(bundle):
            raise ConfigurationError(f"CA bundle {bundle} does not exist",
                                     hint="pass an existing PEM file to --ca-bundle")
        http.ca_bundle = bundle
    return http


def scheduler_client(context: Context, cluster_name: str, http: HttpOptions | None = None,
                     retry: RetryPolicy | None = None,
                     autostart: bool = True) -> SchedulerClient:
    """Build a client for `cluster_name`: endpoint, plugins' routing and headers, autostart.

    Commands get theirs through `scheduler_for` (cached per run); `http` and
    `retry` override the configured ones (completion wants short, single tries).
    """
    from aurora.api.client import RetryPolicy, SchedulerClient

    cluster = context.get_cluster(cluster_name)
    http = http or http_options(context, cluster)
    base = endpoint(context, cluster, http.connect_timeout)
    routed = context.cli.plugins.hook.rewrite_endpoint(context=context, cluster=cluster, url=base)
    base = routed or base
    before = set(http.headers)
    context.cli.plugins.hook.prepare_request(context=context, cluster=cluster, url=base,
                                         headers=http.headers)
    http.origin_bound |= set(http.headers) - before     # credentials: only to `base`'s origin
    if retry is None:
        retries = context.settings.scheduler.get("retries")
        retry = RetryPolicy() if retries is None else RetryPolicy(retries=int(retries))
    if cluster.get("zk") and not routed:
        base = failover(context, cluster, http, wait=retry.retries > 0)
    if autostart and cluster.autostarts and context.settings.devcluster_autostart:
        ensure_devcluster(context, base)
    resolve = (lambda: endpoint_of(cluster, http.connect_timeout)) \
        if cluster.get("zk") and not routed else None
    return SchedulerClient(cluster.name, base, http, retry, resolve=resolve)


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


def ensure_devcluster(context: Context, base: str) -> None:
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

    context.print_err(f"aurora: started the devcluster at {redact(base)} for this command; stop it "
                      "with: aurora-devcluster stop (set autostart = false under [devcluster] "
                      "in client.toml to turn this off)")


def scheduler_for(context: Context, cluster_name: str) -> Any:
    """Context's entry point: one cached client per cluster per run."""
    return context.service("scheduler", cluster_name,
                           lambda: scheduler_client(context, cluster_name))
