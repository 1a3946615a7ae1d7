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

from aurora.api.urls import split
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
            autostart: Callable[[str], None] | None = None,
            trace: Callable[[str], None] | None = None) -> SchedulerClient:
    """A client for `cluster`: endpoint, the plugins' routing and headers, autostart.

    `endpoints` shares discovery with web links; `autostart(base)` starts a
    local devcluster when the cluster asks for one (`ensure_devcluster`);
    `trace` (with -v) is told how the endpoint was found and, by the client,
    every call.
    """
    from aurora.api.client import SchedulerClient

    endpoints = endpoints or Endpoints()
    failover_timeout = min(failover_timeout, http.timeout)      # --timeout bounds it too
    base = _endpoint(endpoints, cluster, http, failover_timeout if retry.retries > 0 else 0.0)
    routed = hooks.rewrite_endpoint(cluster, base)
    if trace is not None:
        trace(found_at(cluster, base))
        if routed:
            trace(f"a plugin's rewrite_endpoint sends cluster {cluster.name} to "
                  f"{_shown(routed)}")
    base = routed or base
    before = set(http.headers)
    hooks.prepare_request(cluster, base, http.headers)
    http.origin_bound |= set(http.headers) - before     # credentials: only to `base`'s origin
    discovered = bool(cluster.get("zk")) and not routed
    if discovered:
        first, base = base, endpoints.failover(cluster, http, failover_timeout,
                                               wait=retry.retries > 0)
        if trace is not None and base != first:
            trace(f"the leader {_shown(first)} did not answer; ZooKeeper now names {base}")
    if autostart is not None and cluster.autostarts:
        autostart(base)
    resolve = (lambda: endpoint_of(cluster, http.connect_timeout)) if discovered else None
    from aurora.output import emit_err

    return SchedulerClient(cluster.name, base, http, retry, resolve=resolve, progress=emit_err,
                           trace=trace)


def _shown(url: str) -> str:
    from aurora.api.transport import redact

    return redact(url)


def found_at(cluster: Cluster, base: str) -> str:
    """How `cluster`'s scheduler URL was found: its clusters.json entry (or the built-in
    one) and, for a `zk` cluster, the ZooKeeper ensemble and path that named it."""
    from aurora.clusters import BUILT_IN

    where = "built in" if cluster.source == BUILT_IN else f"from {cluster.source}"
    if cluster.get("zk"):
        from aurora.discovery import connect_string

        how = (f"ZooKeeper {connect_string(cluster)} path {cluster.get('scheduler_zk_path')} "
               f"names the leader {_shown(base)}")
    else:
        how = f"scheduler_uri {_shown(base)}"
    return f"cluster {cluster.name} ({where}): {how}"


def tracer(verbose: bool) -> Callable[[str], None] | None:
    """What -v prints about connecting and calls: lines of the `aurora` logger (which
    -v sends to stderr); None without -v, so logging is not even imported."""
    if not verbose:
        return None
    import logging

    return logging.getLogger("aurora").info


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
    parts = split(base)
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
    """Whether something accepts connections at `url`'s host and port (a URL reached
    through a proxy cannot be probed directly: it counts as answering)."""
    parts = split(url)
    if not parts.hostname:
        return False
    from aurora.api.proxies import proxy_for

    if proxy_for(url) is not None:
        return True
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return answers(parts.hostname, port, timeout)


def ensure_devcluster(base: str, warn: Callable[[str], None], start: bool = True,
                      trace: Callable[[str], None] | None = None) -> None:
    """Start `aurora-devcluster` in the background when nothing answers at `base` (unless
    `start` is False); one that already answers is checked against the user's state
    dir (`check_devcluster`)."""
    target = _loopback_port(base)
    if target is None:
        return
    if answers(*target):
        check_devcluster(base, target[1], warn, trace)
        return
    if not start:
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
    warn(f"aurora: started the devcluster at {_shown(base)} for this command; stop it "
                      "with: aurora-devcluster stop (set autostart = false under [devcluster] "
                      "in client.toml to turn this off)")
    if trace is not None:
        trace(f"the devcluster's state dir is {_state_dir()} (its log: devcluster.log there)")


def _state_dir() -> str:
    from aurora.devcluster.layout import default_state_dir

    return os.path.abspath(default_state_dir())


def check_devcluster(base: str, port: int, warn: Callable[[str], None],
                     trace: Callable[[str], None] | None = None) -> None:
    """The devcluster answering at `base` is the user's own (the one of their state dir,
    which autostart would have started): say so with -v. Another one (another state
    dir, another user, or not a devcluster at all) is used, but never silently."""
    from aurora.devcluster.pidfile import read_pid_info, serving

    ours = _state_dir()
    info = read_pid_info(ours, port)
    if info is not None and info.get("port") == port:
        if trace is not None:
            trace(f"the devcluster at {_shown(base)} was already running (pid {info['pid']}, "
                  f"state dir {ours})")
        return
    warn(f"aurora: warning: {_whose(base, serving(port), ours)}")


def _whose(base: str, other: dict | None, ours: str) -> str:
    """Whose devcluster answers at `base`, and what to do about it, in one line."""
    if other is None:
        return (f"something other than the devcluster of state dir {ours} answers at "
                f"{_shown(base)}; this command talks to it (stop it, or point the cluster "
                "at another port)")
    theirs = other["state_dir"] or "its user's default state dir"
    user = _user_name(other["uid"])
    if other["uid"] != os.geteuid():
        return (f"the devcluster at {_shown(base)} belongs to user {user} (pid {other['pid']}, "
                f"state dir {theirs}), not to you; this command uses it and its tasks "
                f"(ask {user} to stop it, or point the cluster at another port)")
    fix = (f"set AURORA_DEVCLUSTER_STATE_DIR={theirs} to make it yours, or stop it with: "
           f"aurora-devcluster stop --state-dir {theirs}") if other["state_dir"] else \
        "stop the aurora-devcluster run that serves it"
    return (f"the devcluster at {_shown(base)} runs from {theirs} (pid {other['pid']}), "
            f"not from your state dir {ours}; this command uses it ({fix})")


def _user_name(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"
