"""Crashes and restarts of the devcluster: each task runs once, and start/stop act on the
devcluster only, never on a process that merely reuses its pid."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections import Counter
from pathlib import Path

from aurora.api.idl import api
from tests.support.devcluster import Devcluster, wait_for
from tests.support.jobs import job, process


def runs_per_task(state_dir: Path) -> Counter:
    """How many times a runner was started for each task id (one run folder each)."""
    counts: Counter = Counter()
    for runs in (state_dir / "agent").glob("slaves/*/frameworks/*/executors/thermos-*/runs"):
        task_id = runs.parent.name[len("thermos-"):]
        counts[task_id] = sum(1 for entry in runs.iterdir() if entry.name != "latest")
    return counts


def live_runners(state_dir: Path) -> list[str]:
    """Sandboxes of the runner processes alive for this state dir."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        mine = [a for a in argv if a.startswith(str(state_dir).encode())]
        if b"aurora.devcluster.runner" in argv and mine:
            found.append(mine[0].decode())
    return found


def active(client, name: str) -> list:
    a = api()
    query = a.TaskQuery(jobKeys=[a.JobKey(role="www-data", environment="test", name=name)],
                        statuses=set(a.ACTIVE_STATES))
    return client.get_tasks_without_configs(query)


def test_a_crash_right_after_create_runs_no_task_twice(tmp_path):
    for attempt, delay in enumerate((0.02, 0.05, 0.1)):
        cluster = Devcluster(tmp_path / f"crash{attempt}").start()
        try:
            name = f"burst{attempt}"
            cluster.client().create_job(job(name, [process("p", "sleep 300")], instances=60,
                                            service=True))
            time.sleep(delay)
            cluster.crash()
            cluster.start()
            client = cluster.client()
            wait_for(lambda c=client, n=name: len([t for t in active(c, n)
                                                   if t.status == api().ScheduleStatus.RUNNING])
                     == 60, timeout=60, what="60 running instances after the restart")
            twice = {task: n for task, n in runs_per_task(cluster.state_dir).items() if n > 1}
            assert not twice, f"runners started twice (after {delay}s): {twice}"
            time.sleep(1)           # anything left over from the crash has shown itself
            assert len(live_runners(cluster.state_dir)) == 60
        finally:
            cluster.stop()


def test_stop_never_signals_a_process_that_reuses_the_pid(tmp_path):
    cluster = Devcluster(tmp_path / "state")
    cluster.state_dir.mkdir(mode=0o700, exist_ok=True)
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        (cluster.state_dir / "devcluster.pid").write_text(json.dumps(
            {"pid": bystander.pid, "port": cluster.port, "bind": "127.0.0.1"}))
        done = cluster.command("stop")
        assert done.returncode == 0 and "not running" in done.stdout, done.stdout + done.stderr
        time.sleep(0.2)
        assert bystander.poll() is None, "stop signalled an unrelated process"
        cluster.start()             # and start does not take it for a running devcluster
        assert cluster.pid != bystander.pid
        cluster.stop()
    finally:
        bystander.kill()
        bystander.wait()


def test_start_right_after_a_kill_starts_a_serving_devcluster(tmp_path):
    import urllib.request

    cluster = Devcluster(tmp_path / "state", executor="simulate").start()
    old = cluster.pid
    os.kill(old, 9)                  # no wait: the pid may still be a zombie
    try:
        done = cluster.command("start")
        assert done.returncode == 0, done.stderr
        assert cluster.pid != old
        with urllib.request.urlopen(cluster.url + "/health", timeout=5) as answer:
            assert answer.status == 200
    finally:
        cluster.stop()
