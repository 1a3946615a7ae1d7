"""The devcluster runs tasks for real: states, process graphs, restarts, kills, crashes."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from aurora.api.idl import api, status_name
from tests.support.devcluster import Devcluster, wait_for
from tests.support.jobs import job, process, statuses, tasks_of


def read(client, method: str, field: str, *args):
    """A read the client has no typed method for (only these tests need them)."""
    return client.result(client.call(method, *args), method, field)


def sandbox_of(devcluster: Devcluster, task) -> Path:
    return devcluster.sandbox(task.assignedTask.taskId)


def log_of(devcluster: Devcluster, task, proc: str, run: int = 0) -> str:
    path = sandbox_of(devcluster, task) / ".logs" / proc / str(run) / "stdout"
    return path.read_text() if path.exists() else ""


def test_service_runs_through_states_with_ports_and_executor_names(devcluster):
    client = devcluster.client()
    config = job("hello", [process("hello", "echo instance={{mesos.instance}} "
                                            "port={{thermos.ports[http]}} "
                                            "host={{mesos.hostname}} id={{thermos.task_id}}; "
                                            "sleep 300")],
                 instances=2, service=True, ports=("http",))
    client.create_job(config)
    wait_for(lambda: statuses(client, config) == ["RUNNING", "RUNNING"], what="RUNNING")
    for task in tasks_of(client, config):
        events = [status_name(e.status) for e in task.taskEvents]
        assert events == ["PENDING", "ASSIGNED", "STARTING", "RUNNING"]
        assert all(e.message and e.timestamp > 0 for e in task.taskEvents)
        port = task.assignedTask.assignedPorts["http"]
        out = wait_for(lambda t=task: log_of(devcluster, t, "hello"), what="process output")
        assert out.strip() == (f"instance={task.assignedTask.instanceId} port={port} "
                               f"host=127.0.0.1 id={task.assignedTask.taskId}")
        assert task.assignedTask.task.executorConfig is None   # "without configs"
    full = client.get_tasks_status(api().TaskQuery(jobKeys=[config.key]))
    assert all(t.assignedTask.task.executorConfig.name == "AuroraExecutor" for t in full)
    client.kill_tasks(config.key, None, "done")
    wait_for(lambda: statuses(client, config) == ["KILLED", "KILLED"], what="KILLED")


def test_process_graph_order_failures_ephemeral_and_final(devcluster):
    client = devcluster.client()
    config = job("graph", [
        process("first", "echo one > order.txt"),
        process("second", "cat order.txt; echo two >> order.txt"),
        process("flaky", "n=$(cat count 2>/dev/null || echo 0); echo $((n+1)) > count; "
                         "[ $n -ge 1 ]", max_failures=3, min_duration=0),
        process("side", "sleep 300", ephemeral=True),
        process("cleanup", "echo cleaned > cleanup.txt", final=True),
    ], order=["first", "second"])
    client.create_job(config)
    wait_for(lambda: statuses(client, config) == ["FINISHED"], what="FINISHED")
    task = tasks_of(client, config)[0]
    sandbox = sandbox_of(devcluster, task)
    assert (sandbox / "order.txt").read_text() == "one\ntwo\n"
    assert (sandbox / "count").read_text().strip() == "2"          # failed once, then passed
    assert (sandbox / "cleanup.txt").read_text() == "cleaned\n"   # final ran
    assert log_of(devcluster, task, "second") == "one\n"
    status = json.loads((sandbox / ".runner" / "status.json").read_text())
    assert status["processes"]["flaky"]["runs"] == 2
    assert status["processes"]["side"]["state"] == "KILLED"       # ephemeral not waited for


def test_batch_failure_respects_max_task_failures(devcluster):
    client = devcluster.client()
    config = job("fails", [process("boom", "echo failing; exit 3")], max_task_failures=2)
    client.create_job(config)
    wait_for(lambda: statuses(client, config) == ["FAILED", "FAILED"], what="two failures")
    first, second = tasks_of(client, config)
    assert second.ancestorId == first.assignedTask.taskId
    assert second.failureCount == 2
    assert "boom" in first.taskEvents[-1].message and "exit 3" in first.taskEvents[-1].message
    assert not client.get_jobs("www-data").configs or all(
        c.key.name != "fails" for c in client.get_jobs("www-data").configs)


def test_service_is_rescheduled_when_it_ends_and_throttled_when_it_flaps(devcluster):
    client = devcluster.client()
    config = job("flapper", [process("quick", "exit 0")], service=True)
    client.create_job(config)
    wait_for(lambda: "THROTTLED" in statuses(client, config), what="a throttled replacement")
    finished, replacement = tasks_of(client, config)[:2]
    assert status_name(finished.status) == "FINISHED"
    assert replacement.ancestorId == finished.assignedTask.taskId
    reasons = read(client, "getPendingReason", "getPendingReasonResult",
                   api().TaskQuery(jobKeys=[config.key])).reasons
    assert not reasons        # as the scheduler's: PENDING tasks only, never THROTTLED ones
    client.kill_tasks(config.key, None, None)
    wait_for(lambda: not statuses(client, config, active_only=True), what="all killed")


def test_kill_stops_the_whole_process_tree(devcluster):
    client = devcluster.client()
    config = job("tree", [process("tree", "(sleep 300 & echo $! >> pids; wait) & "
                                          "sleep 300 & echo $! >> pids; wait")],
                 service=True)
    client.create_job(config)
    wait_for(lambda: statuses(client, config) == ["RUNNING"], what="RUNNING")
    pids = sandbox_of(devcluster, tasks_of(client, config)[0]) / "pids"  # the task's own file
    wait_for(lambda: pids.exists() and len(pids.read_text().split()) == 2, what="children")
    children = [int(p) for p in pids.read_text().split()]
    client.kill_tasks(config.key, {0}, "stop")
    wait_for(lambda: statuses(client, config) == ["KILLED"], what="KILLED")

    def gone(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    wait_for(lambda: all(gone(p) for p in children), timeout=10, what="the tree to die")


def test_restart_replaces_tasks_and_add_instances_copies_config(devcluster):
    client = devcluster.client()
    a = api()
    config = job("restartme", [process("s", "sleep 300")], instances=2, service=True)
    client.create_job(config)
    wait_for(lambda: statuses(client, config) == ["RUNNING"] * 2, what="RUNNING")
    before = {t.assignedTask.instanceId: t.assignedTask.taskId for t in tasks_of(client, config)}
    client.restart_shards(config.key, {1})
    wait_for(lambda: statuses(client, config, active_only=True) == ["RUNNING"] * 2
             and len(tasks_of(client, config)) == 3, what="a restarted instance 1")
    active = {t.assignedTask.instanceId: t for t in tasks_of(client, config, active_only=True)}
    assert active[0].assignedTask.taskId == before[0]
    assert active[1].ancestorId == before[1]
    client.add_instances(a.InstanceKey(jobKey=config.key, instanceId=0), 2)
    wait_for(lambda: len(statuses(client, config, active_only=True)) == 4, what="4 instances")
    summary = read(client, "getConfigSummary", "configSummaryResult", config.key).summary
    assert [(r.first, r.last) for g in summary.groups for r in g.instances] == [(0, 3)]
    role_summary = read(client, "getRoleSummary", "roleSummaryResult")
    roles = {s.role: s.jobCount for s in role_summary.summaries}
    assert roles["www-data"] >= 1
    job_summary = read(client, "getJobSummary", "jobSummaryResult", "www-data")
    stats = [s.stats for s in job_summary.summaries if s.job.key.name == "restartme"][0]
    assert (stats.activeTaskCount, stats.finishedTaskCount) == (4, 1)
    client.kill_tasks(config.key, None, None)
    wait_for(lambda: not statuses(client, config, active_only=True), what="all killed")


def test_crash_keeps_state_and_readopts_or_loses_tasks(tmp_path):
    cluster = Devcluster(tmp_path / "state").start()
    try:
        client = cluster.client()
        keep = job("keep", [process("s", "sleep 300")], service=True)
        lose = job("lose", [process("s", "sleep 300")], service=True)
        client.create_job(keep)
        client.create_job(lose)
        wait_for(lambda: statuses(client, keep) == ["RUNNING"]
                 and statuses(client, lose) == ["RUNNING"], what="RUNNING")
        kept_id = tasks_of(client, keep)[0].assignedTask.taskId
        lost_task = tasks_of(client, lose)[0]
        cluster.crash()
        runner = json.loads((sandbox_of(cluster, lost_task) / ".runner" /
                             "status.json").read_text())
        os.kill(runner["runner_pid"], 9)                  # dies while the scheduler is down
        for group in runner["groups"]:
            os.killpg(group, 9)
        cluster.start()
        client = cluster.client()
        wait_for(lambda: statuses(client, lose) == ["LOST", "RUNNING"], what="lost + replaced")
        assert [t.assignedTask.taskId for t in tasks_of(client, keep)] == [kept_id]
        assert statuses(client, keep) == ["RUNNING"]      # re-adopted, not restarted
    finally:
        cluster.stop()
    assert not (cluster.state_dir / "devcluster.pid").exists()


def test_clean_stop_kills_tasks_and_start_brings_services_back(tmp_path):
    cluster = Devcluster(tmp_path / "state").start()
    client = cluster.client()
    config = job("svc", [process("s", "sleep 300")], service=True)
    client.create_job(config)
    wait_for(lambda: statuses(client, config) == ["RUNNING"], what="RUNNING")
    runner_pid = tasks_of(client, config)[0]
    status_file = sandbox_of(cluster, runner_pid) / ".runner" / "status.json"
    pid = wait_for(lambda: json.loads(status_file.read_text())["runner_pid"], what="runner")
    cluster.stop()
    assert not Path(f"/proc/{pid}").exists()     # stop waited for the runner to die
    cluster.start()
    try:
        client = cluster.client()
        wait_for(lambda: statuses(client, config) == ["LOST", "RUNNING"], what="service back")
    finally:
        cluster.stop()


def test_simulated_executor_handles_ten_thousand_instances(tmp_path):
    cluster = Devcluster(tmp_path / "sim", executor="simulate").start()
    try:
        client = cluster.client()
        config = job("big", [process("p", "true")], instances=10_000, service=True)
        client.create_job(config)
        query = api().TaskQuery(jobKeys=[config.key], statuses={api().ScheduleStatus.RUNNING})
        wait_for(lambda: len(client.get_tasks_without_configs(query)) == 10_000, timeout=60,
                 interval=0.5, what="10,000 RUNNING tasks")
        client.kill_tasks(config.key, None, None)
        wait_for(lambda: not client.get_jobs("www-data").configs, timeout=60, what="killed")
    finally:
        cluster.stop()


@pytest.mark.parametrize("bind", ["0.0.0.0", "10.1.2.3"])
def test_refuses_non_loopback_bind_without_allow_remote(tmp_path, bind):
    done = Devcluster(tmp_path).command("run", "--bind", bind)
    assert done.returncode == 5
    assert "--allow-remote" in done.stderr and "Traceback" not in done.stderr


def test_port_in_use_and_status_lines(tmp_path, devcluster):
    busy = Devcluster(tmp_path / "other", port=devcluster.port)
    done = busy.command("start")
    assert done.returncode == 1 and "did not start" in done.stderr
    assert "--port" in done.stderr
    status = subprocess.run([str(Path(os.sys.executable).parent / "aurora-devcluster"),
                             "status", "--state-dir", str(tmp_path / "none")],
                            capture_output=True, text=True)
    assert status.returncode == 3 and "not running" in status.stdout
