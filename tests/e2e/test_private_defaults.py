"""Devcluster defaults that could expose data: file modes, pages behind --users,
login timing, and a new leader taking over the tasks of the one it replaces."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from aurora.api.client import SchedulerClient
from tests.support.devcluster import Devcluster, tasks_change_user, wait_for
from tests.support.jobs import job, process, statuses, tasks_of


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def alive(pid: int) -> bool:
    """Running, not merely a zombie waiting for whoever inherited it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def runner_pid(cluster: Devcluster, task) -> int:
    status = cluster.sandbox(task.assignedTask.taskId) / ".runner" / "status.json"
    return wait_for(lambda: status.exists() and json.loads(status.read_text()).get("runner_pid"),
                    what="the task's runner")


def test_standby_turned_leader_adopts_and_stops_the_old_leaders_tasks(zookeeper, tmp_path):
    state = tmp_path / "shared"
    args = ("--zk", zookeeper.hosts, "--zk-path", "/aurora/adopt")
    first = Devcluster(state, args=args).start()
    second = Devcluster(state, args=args)
    try:
        client = SchedulerClient("adopt", first.url)
        wait_for(lambda: _answers(client), what="the first devcluster to lead")
        second.start()
        config = job("adopted", [process("s", "sleep 300")], service=True)
        killed = job("killed", [process("s", "sleep 300")], service=True)
        client.create_job(config)
        client.create_job(killed)
        wait_for(lambda: statuses(client, config) == statuses(client, killed) == ["RUNNING"],
                 what="RUNNING")
        (task,) = tasks_of(client, config)
        pid, other = runner_pid(first, task), runner_pid(first, tasks_of(client, killed)[0])
        first.crash()                                  # the runners outlive their leader
        assert alive(pid) and alive(other)
        new = SchedulerClient("adopt", second.url)
        wait_for(lambda: _answers(new), timeout=60, what="the standby to lead")
        wait_for(lambda: statuses(new, config) == ["RUNNING"], what="still RUNNING")
        assert [t.assignedTask.taskId for t in tasks_of(new, config)] == \
            [task.assignedTask.taskId]                 # adopted, not restarted
        new.kill_tasks(killed.key, None, "supervised by the new leader")
        wait_for(lambda: not alive(other) and statuses(new, killed) == ["KILLED"],
                 timeout=30, what="the new leader to kill an adopted task")
        second.stop()
        wait_for(lambda: not alive(pid), timeout=30,
                 what="the adopted runner to be stopped with its new leader")
    finally:
        second.stop()
        first.stop()


def _answers(client: SchedulerClient) -> bool:
    try:
        client.get_jobs("www-data")
        return True
    except Exception:  # noqa: BLE001 - not leading yet
        return False


def test_state_database_and_sandboxes_are_private_whatever_the_umask(tmp_path):
    old = os.umask(0o002)
    try:
        cluster = Devcluster(tmp_path / "state").start()
    finally:
        os.umask(old)
    try:
        client = cluster.client()
        config = job("secret", [process("p", "echo s3cret > out.txt; echo s3cret; sleep 300")],
                     service=True)
        client.create_job(config)
        wait_for(lambda: statuses(client, config) == ["RUNNING"], what="RUNNING")
        (task,) = tasks_of(client, config)
        sandbox = cluster.sandbox(task.assignedTask.taskId)
        output = wait_for(lambda: [p for p in (sandbox / "out.txt",
                                               sandbox / ".logs" / "p" / "0" / "stdout")
                                   if p.exists() and p.read_text()] or None, what="output")
        # run by root, tasks run as other users: the directories above their sandboxes
        # are theirs to enter, never to list or write (0711); the sandbox is the task's
        above = 0o711 if tasks_change_user() else 0o700
        assert mode(cluster.state_dir) == above
        agent = cluster.state_dir / "agent"          # every directory down to the sandbox
        assert mode(agent) == above and mode(sandbox) == 0o700
        for parent in sandbox.relative_to(agent).parents:
            assert mode(agent / parent) & 0o066 == 0, f"{agent / parent}"
        for path in [cluster.state_dir / "state.db", cluster.state_dir / "devcluster.log",
                     *output]:
            assert mode(path) & 0o077 == 0, f"{path} is {oct(mode(path))}"
    finally:
        cluster.stop()


def test_existing_state_dir_is_tightened(tmp_path):
    state = tmp_path / "old"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    cluster = Devcluster(state, executor="simulate").start()
    try:
        assert mode(state) == 0o700
    finally:
        cluster.stop()
