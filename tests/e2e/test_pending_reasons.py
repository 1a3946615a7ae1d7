"""Why a task is pending, end to end: the devcluster places tasks as the real scheduler
does (its host's attributes, value and limit constraints, what the host offers) and
says why it did not with the scheduler's veto texts; `aurora job status` shows them."""

from __future__ import annotations

import json

import pytest

from aurora.api.client import SchedulerError
from aurora.api.idl import api
from tests.support.devcluster import Devcluster, wait_for
from tests.support.latencyproxy import LatencyProxy

# What the host offers in these tests: small enough to run out of on purpose.
OFFER = ("--cpus", "2", "--ram-mb", "2048", "--disk-mb", "2048")
ATTRIBUTES = ("--attribute", "zone=z1", "--attribute", "rack=r1")


@pytest.fixture
def cluster(tmp_path):
    started = Devcluster(tmp_path / "dc", offer=OFFER, args=ATTRIBUTES).start()
    yield started
    started.stop()


@pytest.fixture
def user(home, cluster):
    home.use(cluster)
    return home


def create(home, name: str, constraints: dict[str, str] | None = None, cpu: float = 0.1,
           ram_mb: int = 16, instances: int = 1) -> str:
    """Create a service from a job file of its own; its key."""
    path = home.root / f"{name}.aurora"
    path.write_text(
        "work = Process(name = 'work', cmdline = 'sleep 300')\n"
        "jobs = [Service(cluster = 'devcluster', role = 'www-data', environment = 'test',\n"
        f"  name = '{name}', instances = {instances}, constraints = {constraints or {}!r},\n"
        "  task = Task(processes = [work],\n"
        f"    resources = Resources(cpu = {cpu}, ram = {ram_mb}*MB, disk = 16*MB)))]\n")
    key = f"devcluster/www-data/test/{name}"
    done = home.run("job", "create", key, str(path))
    assert done.returncode == 0, done.stderr
    return key


def active(home, key: str) -> list[dict]:
    done = home.run("job", "status", key, "--write-json")
    assert done.returncode == 0, done.stderr
    (job,) = json.loads(done.stdout)
    return job["active"]


def settled(home, key: str, running: int, pending: int) -> list[dict]:
    """The job's active tasks once `running` run and `pending` have a pending reason."""
    def look() -> list[dict] | None:
        tasks = active(home, key)
        states = [t["status"] for t in tasks]
        told = [t for t in tasks if t.get("pendingReason")]
        return tasks if (states.count("RUNNING") == running and len(told) == pending
                         and len(tasks) == running + pending) else None
    return wait_for(look, what=f"{running} RUNNING and {pending} PENDING with a reason")


def reasons(tasks: list[dict]) -> list[str]:
    return [t["pendingReason"] for t in tasks if t["status"] == "PENDING"]


def test_status_says_what_the_host_offers(cluster):
    done = cluster.command("status")
    assert done.returncode == 0, done.stderr
    assert ("the host offers 2 CPUs, 2048 MB RAM, 2048 MB disk, 0 GPUs; attributes "
            "host=127.0.0.1, rack=r1, zone=z1") in done.stdout.splitlines()


def test_value_constraint_keeps_the_task_pending_and_status_says_why(user):
    key = create(user, "nohost", {"host": "no-such-host"})
    tasks = settled(user, key, running=0, pending=1)
    assert reasons(tasks) == ["Constraint not satisfied: host"]
    text = user.run("job", "status", key)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    status_line = lines.index("\tTask role: www-data, env: test, name: nohost, instance: 0, "
                              "status: PENDING")
    assert lines[status_line + 1] == "\t  pending reason: Constraint not satisfied: host"


def test_negated_and_custom_attributes_are_honoured(user):
    ok = create(user, "inzone", {"zone": "z1", "rack": "!r2,r3", "host": "127.0.0.1"})
    settled(user, ok, running=1, pending=0)
    banned = create(user, "notrack", {"rack": "!r1"})
    assert reasons(settled(user, banned, running=0, pending=1)) == [
        "Constraint not satisfied: rack"]
    missing = create(user, "nosuchattr", {"gpu_model": "a100"})
    assert reasons(settled(user, missing, running=0, pending=1)) == [
        "Constraint not satisfied: gpu_model"]


def test_limit_constraint_leaves_one_instance_pending(user):
    key = create(user, "onehost", {"host": "limit:1"}, instances=2)
    tasks = settled(user, key, running=1, pending=1)
    assert reasons(tasks) == ["Limit not satisfied: host"]
    assert user.run("job", "kill", f"{key}/0").returncode == 0     # room again: it runs
    wait_for(lambda: [t["status"] for t in active(user, key)] == ["RUNNING"],
             what="the pending instance placed once the other is gone")


def test_more_than_the_host_offers_is_insufficient(user):
    key = create(user, "huge", cpu=4, ram_mb=4096)
    assert reasons(settled(user, key, running=0, pending=1)) == [
        "Insufficient: CPU,Insufficient: RAM"]
    # What running tasks hold is not offered: the third of three 0.9 CPU tasks waits.
    busy = create(user, "busy", cpu=0.9, instances=3)
    assert reasons(settled(user, busy, running=2, pending=1)) == ["Insufficient: CPU"]


def test_an_ordinary_job_runs_and_status_asks_no_reason(user, cluster):
    key = create(user, "plain", instances=2)
    tasks = settled(user, key, running=2, pending=0)
    assert all("pendingReason" not in t for t in tasks)
    cluster_entry = cluster.cluster_entry()
    with LatencyProxy(cluster.url) as proxy:
        user.write_clusters([{**cluster_entry, "scheduler_uri": proxy.url}])
        assert user.run("job", "status", key).returncode == 0
        assert proxy.sequence == ["getTasksWithoutConfigs"]
        waiting = create(user, "waiting", {"host": "elsewhere"})
        settled(user, waiting, running=0, pending=1)
        proxy.sequence.clear()
        assert user.run("job", "status", waiting).returncode == 0
        assert proxy.sequence == ["getTasksWithoutConfigs", "getPendingReason"]


def test_get_pending_reason_answers_as_the_scheduler(user, cluster):
    a = api()
    client = cluster.client()
    create(user, "asked", {"host": "no-such-host"})
    job = a.JobKey(role="www-data", environment="test", name="asked")
    found = wait_for(lambda: (lambda r: r if any(r.values()) else None)(
        client.get_pending_reasons(a.TaskQuery(jobKeys=[job]))), what="a reason")
    assert list(found.values()) == ["Constraint not satisfied: host"]
    for query, words in ((a.TaskQuery(jobKeys=[job], statuses={a.ScheduleStatus.PENDING}),
                          "Statuses is"),
                         (a.TaskQuery(slaveHosts={"127.0.0.1"}), "SlaveHosts are")):
        with pytest.raises(SchedulerError) as refused:
            client.call("getPendingReason", query)
        assert refused.value.code_name == "INVALID_REQUEST"
        assert f"{words} not supported" in refused.value.details[0]


@pytest.mark.parametrize("option,value,expected", [
    ("--attribute", "rack", "expected NAME=VALUE, got 'rack'"),
    ("--attribute", "=r1", "expected NAME=VALUE, got '=r1'"),
    ("--cpus", "-1", "expected a number from 0 up, got '-1'"),
    ("--ram-mb", "nan", "expected a number from 0 up, got 'nan'"),
])
def test_a_bad_host_option_is_one_line_and_exit_5(tmp_path, option, value, expected):
    done = Devcluster(tmp_path / "bad").command("run", option, value)
    assert done.returncode == 5
    assert expected in done.stderr and "Traceback" not in done.stderr
