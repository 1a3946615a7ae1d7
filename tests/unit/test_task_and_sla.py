"""The pure parts of the task and sla nouns: paths, templating, option translation, figures."""

from __future__ import annotations

import pytest

from aurora.api.idl import api
from aurora.errors import InvalidParameter
from aurora.jobkey import JobKey
from aurora.plugins import sla
from aurora.plugins.task.run import Session, status_summary
from aurora.plugins.task.sandbox import sandbox_path, templated
from aurora.plugins.task.scp import checked_path, split_remote, ssh_options_of


def scheduled(instance: int, events: list[tuple[int, int]], ports=None, task_id="t") -> object:
    a = api()
    return a.ScheduledTask(
        assignedTask=a.AssignedTask(taskId=task_id, instanceId=instance, slaveHost="h",
                                    assignedPorts=ports or {}),
        taskEvents=[a.TaskEvent(timestamp=ts, status=st) for ts, st in events])


def test_sandbox_paths_follow_the_agent_layout():
    layout = ("/var/lib/mesos/", "latest")
    assert sandbox_path(layout, "T", False) == (
        "/var/lib/mesos/slaves/*/frameworks/*/executors/thermos-T/runs/latest/sandbox")
    assert sandbox_path(layout, "T", True).endswith("/thermos-T/runs/latest")


def test_templating_fills_task_names_and_keeps_the_rest():
    task = scheduled(3, [], ports={"http": 8080}, task_id="abc")
    text = "{{mesos.instance}} {{thermos.task_id}} {{thermos.ports[http]}} " \
           "{{thermos.ports[admin]}} {{other}}"
    assert templated(text, task) == "3 abc 8080 {{thermos.ports[admin]}} {{other}}"
    with pytest.raises(InvalidParameter, match="not a name"):
        templated("{{ spaced }}", task)


def test_scp_paths():
    assert split_remote("plain.txt") is None
    assert split_remote("./a:b") is None and split_remote("/x:y") is None
    assert split_remote("c/r/e/n/2:logs/x") == (JobKey("c", "r", "e", "n"), 2, "logs/x")
    with pytest.raises(InvalidParameter, match=r"write a local file .* as \./a:b"):
        split_remote("a:b")
    assert checked_path("") == "." and checked_path("a/../b") == "b"
    with pytest.raises(InvalidParameter, match="tilde expansion for path: ~/x"):
        checked_path("~/x")


def test_scp_connection_options_become_ssh_options():
    assert ssh_options_of(["-P", "2222", "-i/k", "-r", "-o", "A=b", "-l", "100", "-C"]) == [
        "-p", "2222", "-i", "/k", "-o", "A=b", "-C"]


def test_run_summary_groups_instances_by_status():
    sessions = [Session(i, "h", "t", [], exit_status=s) for i, s in
                enumerate([0, 0, 1, 255, 0])]
    assert status_summary(sessions) == (
        "task run: exit status by instance: 0 on 0-1,4; 1 on 2; unreachable on 3")


def test_durations_and_percentiles():
    assert sla.durations("1h,90s,1m") == [60, 90, 3600]
    assert [sla.duration_text(d) for d in (60, 90, 3600 * 54, 7 * 86400)] == [
        "1 mins", "90 secs", "54 hrs", "7 days"]
    assert sla.percentiles("50,99.5,10") == [99.5, 50.0, 10.0]
    for bad in ("", "1x", "-1m"):
        with pytest.raises(InvalidParameter):
            sla.durations(bad)
    for bad in ("0", "100", "nan", "x"):
        with pytest.raises(InvalidParameter):
            sla.percentiles(bad)


def test_uptimes_from_the_first_running_event():
    s = api().ScheduleStatus
    tasks = [scheduled(0, [(0, s.PENDING), (10_000, s.RUNNING), (50_000, s.RUNNING)]),
             scheduled(1, [(0, s.PENDING)]),
             scheduled(2, [(99_500, s.RUNNING)])]
    assert sla.instance_uptimes(tasks, now=100.0) == {0: 90, 2: 0}
    uptimes = [0, 90]
    assert sla.up_percentage(uptimes, 60) == 50.0 and sla.up_percentage([], 60) == 0.0
    assert sla.uptime_at(uptimes, 99) == 0 and sla.uptime_at(uptimes, 10) == 90
    assert sla.uptime_at([], 50) == 0


def test_builtin_devcluster_has_the_agent_layout(monkeypatch, tmp_path):
    from aurora.clusters import builtin_clusters

    monkeypatch.setenv("AURORA_DEVCLUSTER_STATE_DIR", str(tmp_path / "state"))
    cluster = builtin_clusters()["devcluster"]
    assert cluster["slave_root"] == str(tmp_path / "state" / "agent")
    assert cluster["slave_run_directory"] == "latest"
