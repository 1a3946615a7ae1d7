"""Discovery through a real ZooKeeper, leader election and failover between devclusters."""

from __future__ import annotations

import json
import time

from aurora.api.client import SchedulerClient
from tests.support.devcluster import Devcluster, wait_for

SERVICE_ARGS = ("--bind", "job=zk", "--bind", "count=1")


def zk_cluster(zookeeper, path: str, name: str = "zkc", **extra) -> dict:
    return {"name": name, "zk": "127.0.0.1", "zk_port": zookeeper.port,
            "scheduler_zk_path": path, **extra}


def test_discovery_and_zk_winning_over_scheduler_uri(home, zookeeper, tmp_path):
    cluster = Devcluster(tmp_path / "one", executor="simulate",
                         args=("--zk", zookeeper.hosts, "--zk-path", "/aurora/one")).start()
    try:
        home.write_clusters([zk_cluster(zookeeper, "/aurora/one",
                                        scheduler_uri="http://127.0.0.1:9/nothing-here")])
        home.write_client_config("[devcluster]\nautostart = false\n")
        key = "zkc/www-data/test/zk"
        from tests.conftest import FIXTURES

        service = str(FIXTURES / "jobs" / "service.aurora").replace("devcluster", "devcluster")
        text = open(service).read().replace("cluster = 'devcluster'", "cluster = 'zkc'")
        job_file = tmp_path / "zk.aurora"
        job_file.write_text(text)
        created = home.run("job", "create", key, str(job_file), *SERVICE_ARGS)
        assert created.returncode == 0, created.stderr
        assert f"job url={cluster.url}/scheduler/www-data/test/zk" in created.stdout
        listed = home.run("job", "list", "zkc/www-data")
        assert listed.returncode == 0 and listed.stdout.split() == [key]
    finally:
        cluster.stop()


def test_standby_redirects_and_failover_reaches_the_new_leader(home, zookeeper, tmp_path):
    state = tmp_path / "shared"
    args = ("--zk", zookeeper.hosts, "--zk-path", "/aurora/ha")
    first = Devcluster(state, executor="simulate", args=args).start()
    wait_for(lambda: b"member_" in _children(zookeeper, "/aurora/ha"), what="a leader")
    second = Devcluster(state, executor="simulate", args=args).start()
    try:
        home.write_clusters([zk_cluster(zookeeper, "/aurora/ha")])
        home.write_client_config("[devcluster]\nautostart = false\n")
        from tests.conftest import FIXTURES

        text = (FIXTURES / "jobs" / "service.aurora").read_text().replace(
            "cluster = 'devcluster'", "cluster = 'zkc'")
        job_file = tmp_path / "ha.aurora"
        job_file.write_text(text)
        key = "zkc/www-data/test/zk"
        assert home.run("job", "create", key, str(job_file), *SERVICE_ARGS).returncode == 0
        # the standby sends clients to the leader with a 307 ...
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", second.port, timeout=10)
        conn.request("POST", "/api", body=b"\x80\x01\x00\x01",
                     headers={"Content-Type": "application/vnd.apache.thrift.binary"})
        answer = conn.getresponse()
        assert answer.status == 307 and answer.getheader("Location") == f"{first.url}/api"
        conn.close()
        via_standby = SchedulerClient("ha", second.url).get_jobs("www-data")
        assert [c.key.name for c in via_standby.configs] == ["zk"]
        # ... unless asked to answer itself (it reads the same state)
        home.write_clusters([zk_cluster(zookeeper, "/aurora/ha"),
                             {"name": "standby", "scheduler_uri": second.url}])
        bypass = home.run("--bypass-leader-redirect", "job", "list", "standby/www-data")
        assert bypass.returncode == 0 and bypass.stdout.split() == ["standby/www-data/test/zk"]
        first.crash()
        started = time.monotonic()
        status = home.run("job", "status", key, "--write-json")
        assert status.returncode == 0, status.stderr
        (entry,) = json.loads(status.stdout)
        assert [t["assignedTask"]["instanceId"] for t in entry["active"]] == [0]
        assert time.monotonic() - started < 30
        listed = home.run("job", "list", "zkc/www-data")
        assert listed.stdout.split() == [key]
        import subprocess

        from tests.conftest import BIN

        ambiguous = subprocess.run([str(BIN / "aurora-devcluster"), "stop", "--state-dir",
                                    str(state)], capture_output=True, text=True)
        assert ambiguous.returncode == 5 and "say which with --port" in ambiguous.stderr
    finally:
        second.stop()
        first.stop()


def _children(zookeeper, path: str) -> bytes:
    from kazoo.client import KazooClient

    zk = KazooClient(hosts=zookeeper.hosts, timeout=5)
    zk.start(timeout=10)
    try:
        return " ".join(zk.get_children(path)).encode() if zk.exists(path) else b""
    finally:
        zk.stop()
        zk.close()


def test_zookeeper_faults(home, zookeeper):
    from tests.support.devcluster import free_port

    home.write_clusters([
        zk_cluster(zookeeper, "/aurora/empty", name="empty"),
        {"name": "zkdown", "zk": "127.0.0.1", "zk_port": free_port(),
         "scheduler_zk_path": "/aurora/x"},
        {"name": "nopath", "zk": "127.0.0.1", "zk_port": zookeeper.port},
    ])
    home.write_client_config("[scheduler]\nretries = 1\nfailover_timeout = 1\n")
    started = time.monotonic()
    down = home.run("--connect-timeout", "1", "job", "list", "zkdown/www-data")
    assert down.returncode == 7 and "Failed to connect to ZooKeeper" in down.stderr
    assert time.monotonic() - started < 10
    empty = home.run("job", "list", "empty/www-data")
    assert empty.returncode == 7 and "No schedulers detected in empty!" in empty.stderr
    nopath = home.run("job", "list", "nopath/www-data")
    assert nopath.returncode == 3 and "scheduler_zk_path" in nopath.stderr
    for done in (down, empty, nopath):
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def _members(zookeeper, path: str, records: list[bytes]) -> None:
    """Write ServerSet members (sequential, in order) holding `records` under `path`."""
    from kazoo.client import KazooClient

    zk = KazooClient(hosts=zookeeper.hosts, timeout=5)
    zk.start(timeout=10)
    try:
        zk.ensure_path(path)
        for record in records:
            zk.create(f"{path}/member_", record, sequence=True)
    finally:
        zk.stop()
        zk.close()


def test_malformed_serverset_members_are_skipped_with_a_warning(home, zookeeper, tmp_path):
    bad = [b"null", b"[]", b"1e999", b"[" * 100_000 + b"]" * 100_000,
           json.dumps({"additionalEndpoints": {"http": {"host": "a/b", "port": 1}}}).encode()]
    _members(zookeeper, "/aurora/hostile-only", bad)
    cluster = Devcluster(tmp_path / "good", executor="simulate",
                         args=("--zk", zookeeper.hosts, "--zk-path", "/aurora/hostile")).start()
    try:
        _members(zookeeper, "/aurora/hostile", bad)      # after the real scheduler's member
        home.write_clusters([zk_cluster(zookeeper, "/aurora/hostile", name="mixed"),
                             zk_cluster(zookeeper, "/aurora/hostile-only", name="junk"),
                             zk_cluster(zookeeper, "/aurora/../x", name="dots"),
                             zk_cluster(zookeeper, "/", name="root")])
        home.write_client_config("[devcluster]\nautostart = false\n"
                                 "[scheduler]\nretries = 1\nfailover_timeout = 30\n")
        mixed = home.run("job", "list", "mixed/www-data")
        assert mixed.returncode == 0, mixed.stderr
        junk = home.run("job", "list", "junk/www-data")
        assert junk.returncode == 7, junk.stderr
        warnings = [line for line in junk.stderr.splitlines()
                    if "skipping ServerSet member" in line]
        assert len(warnings) == len(bad), junk.stderr
        assert "/aurora/hostile-only" in junk.stderr.splitlines()[-1]
        dots = home.run("job", "list", "dots/www-data")
        assert dots.returncode == 3 and "scheduler_zk_path" in dots.stderr, dots.stderr
        started = time.monotonic()
        root = home.run("--timeout", "3", "job", "list", "root/www-data")
        assert root.returncode == 7 and time.monotonic() - started < 10, root.stderr
        for done in (junk, dots, root):
            assert "Traceback" not in done.stderr
    finally:
        cluster.stop()
