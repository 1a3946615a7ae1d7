"""A dead ZooKeeper leader: the client finds the new one and never starts a devcluster.

The cluster is deliberately named `devcluster`: a user's own cluster of that
name is a real cluster, and autostart must never stand in for it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.conftest import FIXTURES
from tests.support.devcluster import Devcluster, free_port, wait_for

KEY = "devcluster/www-data/test/ha"
PATH = "/aurora/failover"
ROUNDS = 10


def _leader_port(zookeeper, path: str) -> int | None:
    """The port the ServerSet's leading member announces (None while there is none)."""
    from kazoo.client import KazooClient
    from kazoo.exceptions import NoNodeError

    zk = KazooClient(hosts=zookeeper.hosts, timeout=5)
    zk.start(timeout=10)
    try:
        members = sorted(c for c in zk.get_children(path) if c.startswith("member_")) \
            if zk.exists(path) else []
        if not members:
            return None
        data, _ = zk.get(f"{path}/{members[0]}")
        return json.loads(data)["additionalEndpoints"]["http"]["port"]
    except NoNodeError:         # the member's session expired since the listing
        return None
    finally:
        zk.stop()
        zk.close()


def _no_autostart(home, done) -> None:
    assert "started the devcluster" not in done.stderr, done.stderr
    assert not (Path(home.env()["AURORA_DEVCLUSTER_STATE_DIR"]) / "devcluster.pid").exists()


def _moment(round_number: int, zookeeper, survivor: Devcluster) -> str:
    """Wait for one of three moments after the kill before the next command runs."""
    moment = ("just after the kill", "a second later", "after the session timeout")[
        round_number % 3]
    if moment == "a second later":
        time.sleep(1)       # a moment inside the dead leader's session, not a speed guess
    elif moment == "after the session timeout":
        wait_for(lambda: _leader_port(zookeeper, PATH) == survivor.port, timeout=60,
                 what="the standby to announce itself as leader")
    return moment


def test_a_killed_leader_is_replaced_not_autostarted(home, zookeeper, tmp_path):
    state = tmp_path / "shared"
    args = ("--zk", zookeeper.hosts, "--zk-path", PATH)
    home.write_clusters([{"name": "devcluster", "zk": "127.0.0.1", "zk_port": zookeeper.port,
                          "scheduler_zk_path": PATH}])
    # Autostart left on. A generous wait for the standby: it takes over only once the
    # dead leader's ZooKeeper session expires, later on a loaded machine.
    home.write_client_config("[scheduler]\nfailover_timeout = 60\n")
    started = [Devcluster(state, executor="simulate", args=args).start()]
    try:
        wait_for(lambda: _leader_port(zookeeper, PATH) == started[0].port, timeout=60,
                 what="the first leader")
        created = home.run("job", "create", KEY, str(FIXTURES / "jobs" / "service.aurora"),
                           "--bind", "job=ha")
        assert created.returncode == 0, created.stderr
        for round_number in range(ROUNDS):
            leader = started[-1]
            started.append(Devcluster(state, executor="simulate", args=args).start())
            leader.crash()
            moment = _moment(round_number, zookeeper, started[-1])
            status = home.run("job", "status", KEY, "--write-json")
            assert status.returncode == 0, f"{moment}: {status.stderr}"
            (entry,) = json.loads(status.stdout)
            assert [t["assignedTask"]["instanceId"] for t in entry["active"]] == [0], moment
            _no_autostart(home, status)
        started[-1].crash()                     # nobody left to take over
        home.write_client_config("[scheduler]\nfailover_timeout = 4\n")
        gone = home.run("job", "status", KEY)
        assert gone.returncode == 7, gone.stderr
        assert all(part in gone.stderr for part in ("devcluster", PATH, "failover_timeout"))
        # The dead leader is named when the client still found it registered; once
        # its session has expired (a slow start of the command) nobody is registered.
        assert started[-1].url in gone.stderr or "No schedulers detected" in gone.stderr
        assert len(gone.stderr.strip().splitlines()) == 1
        _no_autostart(home, gone)
    finally:
        for cluster in started:
            cluster.stop()


def test_a_user_cluster_named_devcluster_is_never_autostarted(home):
    port = free_port()
    home.write_clusters([{"name": "devcluster", "scheduler_uri": f"http://127.0.0.1:{port}"}])
    home.write_client_config("[scheduler]\nretries = 1\n")
    done = home.run("job", "list", "devcluster/www-data")
    assert done.returncode == 7 and "cannot reach the scheduler" in done.stderr, done.stderr
    _no_autostart(home, done)
    bad = home.write_clusters([{"name": "devcluster", "scheduler_uri": "http://127.0.0.1:1",
                                "autostart": "yes"}])
    refused = home.run("job", "list", "devcluster/www-data")
    assert refused.returncode == 3 and f"{bad}: cluster 'devcluster' field autostart must be " \
        "true or false" in refused.stderr
