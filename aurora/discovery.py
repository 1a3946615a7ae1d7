"""Finding the leading scheduler through ZooKeeper (CLIENT-SPEC §5.1).

The schedulers announce themselves as a ServerSet: children `member_<seq>` of
`scheduler_zk_path`, each holding JSON with `serviceEndpoint` and
`additionalEndpoints`. The lowest sequence number is the leader; its `https`
endpoint is preferred over `http`. The ZooKeeper session lives only as long as
the lookup.
"""

from __future__ import annotations

import json
import logging

from aurora.clusters import Cluster
from aurora.errors import ConfigurationError, NetworkError

ZK_TIMEOUT = 10.0
log = logging.getLogger("aurora.discovery")


def connect_string(cluster: Cluster) -> str:
    port = int(cluster.get("zk_port") or 2181)
    hosts = [h.strip() for h in str(cluster["zk"]).split(",") if h.strip()]
    return ",".join(f"{host}:{port}" for host in hosts)


def endpoint_from_member(data: bytes) -> str | None:
    """The base URL a ServerSet member advertises, or None when it has no http(s)."""
    try:
        member = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    extra = member.get("additionalEndpoints") or {}
    for scheme in ("https", "http"):
        endpoint = extra.get(scheme)
        if isinstance(endpoint, dict) and endpoint.get("host") and endpoint.get("port"):
            return f"{scheme}://{endpoint['host']}:{int(endpoint['port'])}"
    return None


def discover_scheduler(cluster: Cluster, timeout: float = ZK_TIMEOUT) -> str:
    """Ask ZooKeeper for the leading scheduler's base URL."""
    path = cluster.get("scheduler_zk_path")
    if not path:
        raise ConfigurationError(f"cluster {cluster.name} has zk but no scheduler_zk_path",
                                 hint="set scheduler_zk_path in clusters.json")
    from kazoo.client import KazooClient
    from kazoo.exceptions import KazooException, NoNodeError
    from kazoo.handlers.threading import KazooTimeoutError

    hosts = connect_string(cluster)
    kazoo_log = logging.getLogger("aurora.discovery.kazoo")
    if not logging.getLogger().handlers:      # not --verbose: our one line says it all
        kazoo_log.setLevel(logging.CRITICAL)
    zk = KazooClient(hosts=hosts, timeout=timeout, read_only=True,
                     connection_retry={"max_tries": 1, "delay": 0.2}, logger=kazoo_log)
    try:
        zk.start(timeout=timeout)
        members = sorted(c for c in zk.get_children(path) if c.startswith("member_"))
        log.debug("ServerSet %s on %s: %s", path, hosts, members)
        if not members:
            raise NetworkError(f"No schedulers detected in {cluster.name}!",
                               hint=f"nothing is registered under {path} on {hosts}")
        data, _ = zk.get(f"{path.rstrip('/')}/{members[0]}")
    except NoNodeError:
        raise NetworkError(f"No schedulers detected in {cluster.name}!",
                           hint=f"{path} does not exist on {hosts}") from None
    except (KazooTimeoutError, TimeoutError):
        raise NetworkError(f"Failed to connect to ZooKeeper at {hosts} within "
                           f"{timeout:g} seconds", hint="check zk and zk_port") from None
    except KazooException as exc:
        raise NetworkError(f"ZooKeeper at {hosts} failed: {type(exc).__name__}: {exc}") from None
    finally:
        try:
            zk.stop()
            zk.close()
        except Exception:  # noqa: BLE001 - closing must not hide the lookup's result
            pass
    endpoint = endpoint_from_member(data)
    if endpoint is None:
        raise NetworkError(f"the leading scheduler of {cluster.name} ({members[0]}) "
                           "advertises no http or https endpoint")
    return endpoint
