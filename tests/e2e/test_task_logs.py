"""`aurora task logs` over a real OpenSSH server to a devcluster task's real processes.

The task runs two processes in order: `early` prints and ends, then `late` keeps
running, prints what the test drops into its sandbox and fails (to be started
again, in a new run folder) when asked. As in test_task_noun.py, the job's role is
the user the tests run as, so ssh logs in as that user.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from tests.conftest import aurora_bin
from tests.e2e.test_output_formats import documented, same_shape
from tests.e2e.test_task_noun import ROLE
from tests.support.devcluster import wait_for
from tests.support.jobs import job, process, statuses, tasks_of

KEY = f"devcluster/{ROLE}/test/logs"
LATE = ("echo late run begins; echo late-err >&2; for i in 1 2 3 4 5; do echo tail-$i; done; "
        "while :; do if [ -e say ]; then cat say; rm say; fi; "
        "if [ -e crash ]; then rm crash; exit 1; fi; sleep 0.2; done")


@pytest.fixture(scope="module")
def logs_task(devcluster):
    """One instance: `early` has ended, `late` runs; its sandbox. Killed afterwards."""
    client = devcluster.client()
    config = job("logs", [process("early", "echo early-out; echo early-err >&2"),
                          process("late", LATE, max_failures=5, min_duration=1)],
                 order=["early", "late"], service=True, role=ROLE)
    client.create_job(config)
    wait_for(lambda: statuses(client, config, active_only=True) == ["RUNNING"],
             timeout=60, what="RUNNING")
    task = tasks_of(client, config, active_only=True)[0]
    sandbox = devcluster.sandbox(task.assignedTask.taskId)
    out = sandbox / ".logs" / "late" / "0" / "stdout"
    wait_for(lambda: out.exists() and "tail-5" in out.read_text(), what="late's output")
    yield sandbox
    client.kill_tasks(config.key, None, "done")


@pytest.fixture
def ssh_home(dev_home, sshd):
    dev_home.ssh = (f"--ssh-options=-p {sshd.port} {sshd.ssh_options}",)
    return dev_home


def test_logs_of_the_last_process_to_start_with_a_hint(ssh_home, logs_task):
    done = ssh_home.run("task", "logs", f"{KEY}/0", *ssh_home.ssh)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("late run begins\ntail-1\n")
    assert "tail-5\n" in done.stdout and "late-err" not in done.stdout
    hint = [line for line in done.stderr.splitlines() if line.startswith("aurora:")]
    assert hint == ["aurora: showing process late, the last to start; also: early "
                    "(choose one with --process)"]
    # the job's only live instance is the default
    assert ssh_home.run("task", "logs", KEY, *ssh_home.ssh).stdout == done.stdout


def test_lines_stderr_and_process(ssh_home, logs_task):
    last = ssh_home.run("task", "logs", f"{KEY}/0", "-n", "2", *ssh_home.ssh)
    assert last.returncode == 0, last.stderr
    assert last.stdout == "tail-4\ntail-5\n"
    err = ssh_home.run("task", "logs", f"{KEY}/0", "--stderr", "--process", "early",
                       *ssh_home.ssh)
    assert (err.returncode, err.stdout) == (0, "early-err\n"), err.stderr
    assert "showing process" not in err.stderr
    unknown = ssh_home.run("task", "logs", f"{KEY}/0", "--process", "nope", *ssh_home.ssh)
    assert unknown.returncode == 6
    assert "instance 0 has no process named nope; its processes: early, late" in unknown.stderr
    for argv, message in (((f"{KEY}/0", "-n", "x"), "invalid --lines 'x'"),
                          ((f"{KEY}/3",), f"Job {KEY}/3 not found"),
                          ((f"{KEY}/0-1",), "task logs reads one instance")):
        refused = ssh_home.run("task", "logs", *argv, *ssh_home.ssh)
        assert refused.returncode == 6 and message in refused.stderr, refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1


def test_write_json_prints_one_object_per_line(ssh_home, logs_task):
    done = ssh_home.run("task", "logs", f"{KEY}/0", "-n", "2", "--process", "late",
                        *ssh_home.ssh, "--write-json")
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert records == [{"instance": 0, "process": "late", "stream": "stdout", "line": line}
                       for line in ("tail-4", "tail-5")]
    same_shape(documented()["task logs"][0], records[0], "task logs")


def test_unreachable_host_is_one_line_exit_4(ssh_home, logs_task):
    from tests.support.devcluster import free_port

    done = ssh_home.run("task", "logs", f"{KEY}/0", "--ssh-options",
                        f"-p {free_port()} -o ConnectTimeout=10")
    assert done.returncode == 4
    assert "could not reach 127.0.0.1 over ssh for instance 0" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def lines_of(pipe) -> queue.Queue:
    """The lines a pipe gives, read by a thread so that a test can wait with a bound."""
    found: queue.Queue = queue.Queue()

    def read() -> None:
        for line in pipe:
            found.put(line)
    threading.Thread(target=read, daemon=True).start()
    return found


def wait_for_line(found: queue.Queue, line: str, seen: list[str], times: int = 1) -> None:
    """Read lines into `seen` until `line` was seen `times` times (60 s for each line)."""
    while seen.count(line) < times:
        seen.append(found.get(timeout=60))


def follow_loops() -> list[str]:
    """Remote follow loops still running (their script names itself in their argv)."""
    loops = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"started again (run" in argv and entry.name.isdigit():
            loops.append(entry.name)
    return loops


def test_follow_sees_appended_lines_and_a_restart_then_ctrl_c_is_130(ssh_home, logs_task,
                                                                      sshd):
    follow = subprocess.Popen(
        [aurora_bin(), "task", "logs", f"{KEY}/0", "-f", "-n", "1", *ssh_home.ssh],
        env=ssh_home.env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True)
    seen: list[str] = []
    try:
        found = lines_of(follow.stdout)
        wait_for_line(found, "tail-5\n", seen)
        (logs_task / "say").write_text("appended-later\n")
        wait_for_line(found, "appended-later\n", seen)
        (logs_task / "crash").touch()           # late exits 1 and is started again
        wait_for_line(found, "tail-5\n", seen, times=2)
    finally:
        os.killpg(follow.pid, signal.SIGINT)    # Ctrl-C: the whole foreground group
        _, err = follow.communicate(timeout=60)
    assert seen == ["tail-5\n", "appended-later\n", "late run begins\n",
                    *(f"tail-{i}\n" for i in range(1, 6))]
    assert follow.returncode == 130, err
    assert "Traceback" not in err and err.rstrip().endswith("aurora: interrupted")
    assert "aurora: process late started again (run 1)" in err
    wait_for(lambda: not follow_loops(), timeout=30, what="the remote follow loop to end")
