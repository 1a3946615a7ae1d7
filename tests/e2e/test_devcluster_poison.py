"""Poison pills: no job, request or stored state stops the devcluster scheduling others.

Each input is sent both through our client (which refuses it, exit 3 or 6) and
straight over thrift (the devcluster refuses it, INVALID_REQUEST); a state that
holds one anyway (written by an older version) is scheduled around. After
each, a fresh job still reaches RUNNING within 10 s.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from aurora.api.client import SchedulerError
from aurora.api.idl import api, serialize
from tests.support.devcluster import Devcluster, wait_for
from tests.support.jobs import job, process, statuses, tasks_of

IMPOSSIBLE = ("0 0 30 2 *", "0 0 31 4 *")
FRESH_WITHIN = 10.0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    """A devcluster of this module's own: a poison that gets through spoils only it."""
    started = Devcluster(tmp_path_factory.mktemp("poison")).start()
    yield started
    started.stop()


@pytest.fixture
def user(home: Any, cluster: Devcluster) -> Any:
    home.use(cluster)
    return home


def fresh_job_runs(cluster: Devcluster, name: str) -> None:
    """A new job reaches RUNNING within FRESH_WITHIN seconds (then it is killed)."""
    client = cluster.client()
    config = job(f"{name}-{uuid.uuid4().hex[:8]}", [process("sleep", "sleep 300")])
    client.create_job(config)
    try:
        wait_for(lambda: statuses(client, config) == ["RUNNING"], timeout=FRESH_WITHIN,
                 what=f"the fresh job {name} to run")
    finally:
        client.kill_tasks(config.key, None, None)


def refusal(call: Any) -> str:
    """The scheduler's INVALID_REQUEST message for a call that must be refused."""
    with pytest.raises(SchedulerError) as refused:
        call()
    assert refused.value.code_name == "INVALID_REQUEST", refused.value.details
    return " ".join(refused.value.details)


def job_file(path: Path, name: str, cmdline: str = "sleep 300", process_name: str = "main",
             cron: str | None = None) -> Path:
    kind, extra = ("Job", f", cron_schedule = {cron!r}") if cron else ("Service", "")
    path.write_text(
        f"jobs = [{kind}(cluster = 'devcluster', role = 'www-data', environment = 'test',\n"
        f"    name = {name!r}{extra},\n"
        f"    task = Task(processes = [Process(name = {process_name!r}, cmdline = {cmdline!r})],\n"
        "                resources = Resources(cpu = 0.1, ram = 16*MB, disk = 16*MB)))]\n")
    return path


def one_line_error(done: Any) -> str:
    lines = done.stderr.strip().splitlines()
    assert len(lines) <= 2 and "Traceback" not in done.stderr, done.stderr
    return lines[0]


@pytest.mark.parametrize("schedule", IMPOSSIBLE)
def test_impossible_cron_schedule_is_refused_by_the_client(user, tmp_path, schedule):
    path = job_file(tmp_path / "cron.aurora", "never", cron=schedule)
    for verb in (("cron", "schedule"), ("job", "create")):
        done = user.run(*verb, "devcluster/www-data/test/never", str(path))
        assert done.returncode == 3, (verb, done.stderr)
        assert "can never fire" in one_line_error(done) and schedule in done.stderr


@pytest.mark.parametrize("schedule", IMPOSSIBLE)
def test_impossible_cron_schedule_over_thrift_is_refused_and_stops_nothing(cluster, schedule):
    client = cluster.client()
    config = job("never-thrift", [process("p", "true")], cron=schedule)
    message = refusal(lambda: client.call("scheduleCronJob", config))
    assert schedule in message and "can never fire" in message
    fresh_job_runs(cluster, "after-cron")


def test_a_stored_impossible_schedule_survives_a_restart(home, tmp_path):
    cluster = Devcluster(tmp_path / "state").start()
    try:
        client = cluster.client()
        config = job("stored", [process("p", "true")], cron="0 0 1 1 *")
        client.call("scheduleCronJob", config)
        cluster.stop()
        config.cronSchedule = IMPOSSIBLE[0]          # as an older version stored it
        with sqlite3.connect(cluster.state_dir / "state.db") as db:
            changed = db.execute("UPDATE jobs SET config = ?, cron_schedule = ?, "
                                 "last_run_ms = ?", (serialize(config), IMPOSSIBLE[0],
                                                     int(time.time() * 1000) - 86_400_000))
            assert changed.rowcount == 1
        cluster.start()
        fresh_job_runs(cluster, "after-restart")
        home.use(cluster)
        shown = home.run("cron", "show", "devcluster/www-data/test/stored")
        assert shown.returncode == 0, shown.stderr
        assert IMPOSSIBLE[0] in shown.stdout and "never" in shown.stdout
        log = (cluster.state_dir / "devcluster.log").read_text()
        assert "Traceback" not in log, log[-2000:]
    finally:
        cluster.stop()


def test_a_long_job_name_runs_in_a_path_the_file_system_allows(cluster):
    client = cluster.client()
    config = job("n" * 190, [process("sleep", "sleep 300")])
    client.create_job(config)
    try:
        wait_for(lambda: statuses(client, config) == ["RUNNING"], timeout=FRESH_WITHIN,
                 what="the long-named job to run")
        task_id = tasks_of(client, config)[0].assignedTask.taskId
        assert len(f"thermos-{task_id}".encode()) <= 255
        assert cluster.sandbox(task_id).is_dir()
    finally:
        client.kill_tasks(config.key, None, None)
    fresh_job_runs(cluster, "after-long-name")


def test_a_name_longer_than_the_schedulers_limit_is_refused(cluster, user, tmp_path):
    name = "n" * 256
    message = refusal(lambda: cluster.client().create_job(job(name, [process("p", "true")])))
    assert "at most 255" in message
    path = job_file(tmp_path / "long.aurora", name)
    done = user.run("job", "create", f"devcluster/www-data/test/{name}", str(path))
    assert done.returncode == 6 and "at most 255" in one_line_error(done)


def test_a_name_ending_in_a_newline_is_refused_as_the_scheduler_refuses_it(cluster):
    """Java matches the identifier pattern against the whole value: no trailing newline."""
    message = refusal(lambda: cluster.client().create_job(job("hello\n", [process("p", "true")])))
    assert "is invalid" in message
    fresh_job_runs(cluster, "after-newline-name")


NEVER_RUNS = {
    "nul": dict(cmdline="echo a\0b"),
    "huge": dict(cmdline="x" * 200_000),
    "long-name": dict(process_name="p" * 300),
}


@pytest.mark.parametrize("case", sorted(NEVER_RUNS))
def test_what_can_never_run_is_refused_by_the_client(user, tmp_path, case):
    path = job_file(tmp_path / "bad.aurora", "bad", **NEVER_RUNS[case])
    done = user.run("job", "create", "devcluster/www-data/test/bad", str(path))
    assert done.returncode == 3, done.stderr
    assert "process" in one_line_error(done)


@pytest.mark.parametrize("case", sorted(NEVER_RUNS))
def test_what_can_never_run_is_refused_over_thrift(cluster, case):
    spec = NEVER_RUNS[case]
    config = job(f"bad-{case}", [process(spec.get("process_name", "main"),
                                         spec.get("cmdline", "sleep 300"))], service=True)
    client = cluster.client()
    assert "can never run" in refusal(lambda: client.create_job(config))
    a = api()
    update = a.JobUpdateRequest(
        taskConfig=config.taskConfig, instanceCount=1,
        settings=a.JobUpdateSettings(updateGroupSize=1, maxPerInstanceFailures=0,
                                     maxFailedInstances=0, minWaitInInstanceRunningMs=0,
                                     rollbackOnFailure=True, waitForBatchCompletion=False))
    assert "can never run" in refusal(lambda: client.call("startJobUpdate", update, "x"))
    assert not tasks_of(client, config)
    fresh_job_runs(cluster, f"after-{case}")


def test_a_task_that_keeps_getting_lost_is_held_back(cluster):
    """A runner that dies at once (here: a task max_failures it cannot read) made a LOST
    task and a sandbox every step; replacements now wait, longer each time."""
    client = cluster.client()
    config = job("lost-loop", [process("p", "sleep 300")], service=True,
                 task_max_failures="not a number")
    client.create_job(config)
    try:
        wait_for(lambda: "LOST" in statuses(client, config), timeout=FRESH_WITHIN,
                 what="the first LOST task")
        time.sleep(5)
        lost = statuses(client, config).count("LOST")
        assert lost <= 3, statuses(client, config)
        held = [e.message for t in tasks_of(client, config) for e in t.taskEvents
                if "held back" in (e.message or "")]
        assert held and "held back 5s" in held[0]
        fresh_job_runs(cluster, "after-lost-loop")
    finally:
        client.kill_tasks(config.key, None, None)


def test_a_long_job_key_is_cut_in_the_task_id_never_its_instance_or_uuid(cluster):
    client = cluster.client()
    config = job("r" * 200, [process("p", "sleep 300")], role="x" * 60, env="e" * 60)
    client.create_job(config)
    try:
        wait_for(lambda: statuses(client, config) == ["RUNNING"], timeout=FRESH_WITHIN,
                 what="the job with a long key to run")
        task_id = tasks_of(client, config)[0].assignedTask.taskId
        assert len(task_id) == 255 - len("thermos-")
        assert task_id.endswith("-0-" + task_id[-36:])
    finally:
        client.kill_tasks(config.key, None, None)
