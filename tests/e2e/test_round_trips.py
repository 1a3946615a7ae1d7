"""How many calls and connections commands make: a guard against round trips creeping
back (benchmarks/network.py measures the time they cost over a slow link)."""

from __future__ import annotations

import pytest

from tests.conftest import FIXTURES
from tests.support.devcluster import Devcluster
from tests.support.latencyproxy import LatencyProxy

SERVICE = str(FIXTURES / "jobs" / "service.aurora")
KEY = "devcluster/www-data/test"


@pytest.fixture(scope="module")
def counted(tmp_path_factory):
    cluster = Devcluster(tmp_path_factory.mktemp("counted"), executor="simulate",
                         args=("--reply-cache-mb", "0")).start()
    yield cluster
    cluster.stop()


@pytest.fixture
def user(home, counted):
    home.write_client_config("[devcluster]\nautostart = false\n")

    def run(url: str, *argv: str):
        home.write_clusters([{**counted.cluster_entry(), "scheduler_uri": url}])
        done = home.run(*argv)
        assert done.returncode == 0, done.stderr
        return done
    return run


def create(user, counted, name: str, count: int = 2) -> None:
    user(counted.url, "job", "create", f"{KEY}/{name}", SERVICE, "--bind", f"job={name}",
         "--bind", f"count={count}", "--wait-until", "RUNNING")


def test_job_status_is_one_call_on_one_connection(user, counted):
    create(user, counted, "rt-status")
    with LatencyProxy(counted.url) as proxy:
        user(proxy.url, "job", "status", f"{KEY}/rt-status")
    assert proxy.sequence == ["getTasksWithoutConfigs"] and proxy.connections == 1


@pytest.mark.parametrize("verb,argv,write", [
    ("kill", ("job", "kill", f"{KEY}/rt-kill/1"), "killTasks"),
    ("add", ("job", "add", f"{KEY}/rt-add/0", "1"), "addInstances"),
])
def test_a_write_reads_the_active_tasks_once(user, counted, verb, argv, write):
    create(user, counted, f"rt-{verb}")
    with LatencyProxy(counted.url) as proxy:
        user(proxy.url, *argv)
    before = proxy.sequence[:proxy.sequence.index(write)]
    assert before == ["getTasksWithoutConfigs"], proxy.sequence
    assert proxy.connections == 1


def test_behind_a_redirect_only_the_first_call_goes_to_the_front(user, counted):
    create(user, counted, "rt-diff")
    with LatencyProxy(counted.url) as leader, \
            LatencyProxy(counted.url, redirect_to=leader.url) as front:
        user(front.url, "job", "diff", f"{KEY}/rt-diff", SERVICE, "--bind", "job=rt-diff",
             "--bind", "count=2")
    assert sum(front.calls.values()) == 1 and front.connections == 1
    assert sum(leader.calls.values()) >= 2 and leader.connections == 1, leader.sequence


def test_the_next_command_asks_the_remembered_leader_first(user, counted):
    create(user, counted, "rt-memory")
    status = ("job", "status", f"{KEY}/rt-memory")
    with LatencyProxy(counted.url) as new_leader:
        with LatencyProxy(counted.url) as leader, \
                LatencyProxy(counted.url, redirect_to=leader.url) as front:
            user(front.url, *status)
            front.reset()
            user(front.url, *status)
            assert sum(front.calls.values()) == 0 and leader.calls["getTasksWithoutConfigs"] == 2
            leader.__exit__()           # the leader goes away; the front now names another
            front.redirect_to = new_leader.url
            front.reset()
            user(front.url, *status)
            assert sum(front.calls.values()) == 1, front.sequence
    assert new_leader.calls["getTasksWithoutConfigs"] == 1
