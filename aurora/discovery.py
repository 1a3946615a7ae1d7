"""Finding the leading scheduler through ZooKeeper, as the upstream client finds it.

The schedulers announce themselves as a ServerSet: children `member_<seq>` of
`scheduler_zk_path`, each holding JSON with `serviceEndpoint` and
`additionalEndpoints`. The lowest sequence number is the leader; its `https`
endpoint is preferred over `http`. The ZooKeeper session lives only as long as
the lookup. A leader that does not answer is looked up again until a new one
does or the failover time is up (`discover_scheduler`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from aurora.api.serverset import endpoint_from_member
from aurora.clusters import Cluster
from aurora.errors import ConfigurationError, NetworkError

ZK_TIMEOUT = 10.0
FAILOVER_POLL = 0.2
log = logging.getLogger("aurora.discovery")


def connect_string(cluster: Cluster) -> str:
    port = int(cluster.get("zk_port") or 2181)
    hosts = [h.strip() for h in str(cluster["zk"]).split(",") if h.strip()]
    return ",".join(f"{host}:{port}" for host in hosts)


def _zk_path(cluster: Cluster) -> str:
    path = cluster.get("scheduler_zk_path")
    if not path:
        raise ConfigurationError(f"cluster {cluster.name} has zk but no scheduler_zk_path",
                                 hint="set scheduler_zk_path in clusters.json")
    parts = str(path).split("/")
    if not isinstance(path, str) or parts[0] != "" or (path != "/" and any(
            p in ("", ".", "..") or "\0" in p for p in parts[1:])):
        raise ConfigurationError(
            f"cluster {cluster.name}: scheduler_zk_path {str(path)[:80]!r} is not a ZooKeeper "
            "path", hint="use an absolute path without '.', '..' or empty parts, such as "
                         "/aurora/scheduler")
    return path


@contextmanager
def _session(cluster: Cluster, timeout: float) -> Iterator[Any]:
    """A read-only ZooKeeper session for one lookup; kazoo's errors become exit 7."""
    from kazoo.client import KazooClient
    from kazoo.exceptions import KazooException, NoNodeError
    from kazoo.handlers.threading import KazooTimeoutError

    hosts, path = connect_string(cluster), _zk_path(cluster)
    kazoo_log = logging.getLogger("aurora.discovery.kazoo")
    # Without -v our one line says it all; with it, kazoo's INFO up (its DEBUG is noise).
    kazoo_log.setLevel(logging.INFO if logging.getLogger().handlers else logging.CRITICAL)
    zk = KazooClient(hosts=hosts, timeout=timeout, read_only=True,
                     connection_retry={"max_tries": 1, "delay": 0.2}, logger=kazoo_log)
    try:
        zk.start(timeout=timeout)
        yield zk
    except NoNodeError:
        raise NetworkError(f"No schedulers detected in {cluster.name}!",
                           hint=f"{path} does not exist on {hosts}") from None
    except (KazooTimeoutError, TimeoutError):
        raise NetworkError(f"Failed to connect to ZooKeeper at {hosts} within "
                           f"{timeout:g} seconds", hint="check zk and zk_port") from None
    except KazooException as exc:
        raise NetworkError(f"ZooKeeper at {hosts} failed: {type(exc).__name__}: {exc}",
                           hint="check zk and zk_port, and that ZooKeeper is serving") from None
    finally:
        try:
            zk.stop()
            zk.close()
        except Exception:  # noqa: BLE001 - closing must not hide the lookup's result
            pass


class NoLeader(NetworkError):
    """The ServerSet is empty: no scheduler leads right now (perhaps only for a moment)."""


def _member_data(zk: Any, node: str) -> bytes | None:
    """A member's record, or None when it vanished since the listing (its session expired)."""
    from kazoo.exceptions import NoNodeError

    try:
        return zk.get(node)[0]
    except NoNodeError:
        return None


def _leader(zk: Any, cluster: Cluster, warned: set[str] | None = None) -> str | None:
    """The endpoint of the first member (in ServerSet order) whose record is usable, or
    None while nobody is registered. A malformed member is skipped with one warning."""
    path = _zk_path(cluster)
    warned = set() if warned is None else warned
    members = sorted(c for c in zk.get_children(path) if c.startswith("member_"))
    log.debug("ServerSet %s on %s: %s", path, connect_string(cluster), members)
    for member in members:
        data = _member_data(zk, f"{path.rstrip('/')}/{member}")
        if data is None:
            continue                    # vanished since the listing
        endpoint = endpoint_from_member(data)
        if endpoint is not None:
            return endpoint
        if member not in warned:
            warned.add(member)
            from aurora.output import emit_err

            emit_err(f"aurora: skipping ServerSet member {path.rstrip('/')}/{member} of "
                     f"{cluster.name}: its record has no usable http or https endpoint")
    if members and len(warned) == len(members):
        raise NetworkError(f"No usable scheduler in {cluster.name}: every member under {path} "
                           f"on {connect_string(cluster)} has a malformed record",
                           hint="the schedulers' ServerSet records must name a host and port")
    return None


def discover_scheduler(cluster: Cluster, timeout: float = ZK_TIMEOUT,
                       answers: Callable[[str], bool] | None = None,
                       failover: float = 0.0) -> str:
    """Ask ZooKeeper for the leading scheduler's base URL.

    With `answers`, the leader must also answer: a leader that died keeps its
    member node until its ZooKeeper session expires, so the ServerSet is read
    again (for up to `failover` seconds, an empty one too) until the new leader
    shows up.
    """
    warned: set[str] = set()
    with _session(cluster, timeout) as zk:
        endpoint = _leader(zk, cluster, warned)
        if answers is None:
            if endpoint is None:
                raise NoLeader(f"No schedulers detected in {cluster.name}!",
                                   hint=f"nothing is registered under {_zk_path(cluster)} "
                                        f"on {connect_string(cluster)}")
            return endpoint
        give_up, tried = time.monotonic() + failover, []
        while endpoint is None or not answers(endpoint):
            if endpoint is not None and endpoint not in tried:
                tried.append(endpoint)
                log.info("the leader of %s at %s does not answer; reading %s again",
                         cluster.name, endpoint, _zk_path(cluster))
            if time.monotonic() >= give_up:
                raise _nobody_answers(cluster, tried, failover)
            time.sleep(FAILOVER_POLL)
            endpoint = _leader(zk, cluster, warned)
        return endpoint


def _nobody_answers(cluster: Cluster, tried: list[str], failover: float) -> NetworkError:
    if not tried:
        return NoLeader(f"No schedulers detected in {cluster.name}!",
                        hint=f"nothing registered under {_zk_path(cluster)} on "
                             f"{connect_string(cluster)} within {failover:g}s "
                             "(failover_timeout under [scheduler] in client.toml sets the wait)")
    return NetworkError(
        f"no scheduler of cluster {cluster.name} answered within {failover:g}s; ZooKeeper "
        f"{connect_string(cluster)} path {_zk_path(cluster)} named "
        f"{', '.join(tried) or 'no scheduler'}",
        hint="check that a scheduler is running (failover_timeout under [scheduler] in "
             "client.toml sets the wait)")
