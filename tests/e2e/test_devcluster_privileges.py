"""A devcluster started by root never runs job code as root (issue 23, finding 1).

Each task runs as the user named like its job's role when that user exists and
is not root, else as `nobody`: its processes, `.thermos_profile`, health checks
and sandbox. Upstream's own end-to-end update with a health check that deletes
/etc/passwd must roll back; here it deletes a canary in the test's folder.
None of these tests runs job code as root.
"""

from __future__ import annotations

import getpass
import json
import os
import pwd
import subprocess
import tempfile
from pathlib import Path

import pytest

from aurora.api.idl import status_name
from tests.conftest import FIXTURES, aurora_bin
from tests.support.devcluster import Devcluster, free_port, session_folder, wait_for
from tests.support.jobs import job, process, statuses, tasks_of

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="tasks change user only when the devcluster runs as root")

FALLBACK = "nobody"
NO_SUCH_ROLE = "no-such-user-i23"


def with_shell_check(config: object, command: str) -> object:
    """The job with a fast shell health check (at most two checks decide)."""
    data = json.loads(config.taskConfig.executorConfig.data)
    data["health_check_config"] = {
        "initial_interval_secs": 0.3, "interval_secs": 0.3, "timeout_secs": 2,
        "max_consecutive_failures": 0, "min_consecutive_successes": 1,
        "health_checker": {"shell": {"shell_command": command}}}
    config.taskConfig.executorConfig.data = json.dumps(data)
    return config


def starting_message(client: object, config: object) -> str:
    (task,) = tasks_of(client, config)
    return next(e.message for e in task.taskEvents if status_name(e.status) == "STARTING")


def canary_folder() -> Path:
    """A root-owned folder tasks may enter but not write, holding a root-owned canary."""
    folder = Path(tempfile.mkdtemp(prefix="canary-", dir=session_folder()))
    folder.chmod(0o755)
    canary = folder / "passwd"
    canary.write_text("root:x:0:0::/root:/bin/sh\n")
    canary.chmod(0o644)
    return folder


@pytest.mark.parametrize(("role", "user", "why"), [
    ("www-data", "www-data", ""),
    (NO_SUCH_ROLE, FALLBACK, f"role '{NO_SUCH_ROLE}' has no user on this machine"),
    ("root", FALLBACK, "role 'root' is root"),
])
def test_a_task_runs_as_its_role_user_or_the_fallback_never_root(devcluster, role, user, why):
    try:
        account = pwd.getpwnam(user)
    except KeyError:
        pytest.skip(f"this machine has no user {user}")
    client = devcluster.client()
    profile = process("profile", "echo 'echo profile-uid=$(id -u)' > .thermos_profile")
    who = process("who", 'id -u; id -g; id -G; echo "$HOME $USER $LOGNAME"; sleep 300')
    config = with_shell_check(job(f"who-{role}", [profile, who], service=True, role=role,
                                  order=["profile", "who"]),
                              f'test "$(id -u)" = {account.pw_uid}')   # the check's user too
    client.create_job(config)
    try:
        wait_for(lambda: statuses(client, config) == ["RUNNING"], what="healthy, RUNNING")
        (task,) = tasks_of(client, config)
        sandbox = devcluster.sandbox(task.assignedTask.taskId)
        stdout = sandbox / ".logs" / "who" / "0" / "stdout"
        lines = wait_for(lambda: stdout.exists() and len(stdout.read_text().splitlines()) >= 5
                         and stdout.read_text().splitlines(), what="the task's ids")
        groups = sorted(os.getgrouplist(account.pw_name, account.pw_gid))
        assert lines == [f"profile-uid={account.pw_uid}", str(account.pw_uid),
                         str(account.pw_gid), " ".join(map(str, groups)),
                         f"{account.pw_dir} {user} {user}"]
        info = sandbox.stat()
        assert (info.st_uid, info.st_mode & 0o777) == (account.pw_uid, 0o700)
        message = starting_message(client, config)
        assert f"runs as {user}, uid {account.pw_uid}" in message
        assert why in message
    finally:
        client.kill_tasks(config.key, None, "done")


def test_a_shell_health_check_cannot_write_outside_its_sandbox(devcluster):
    canary = canary_folder() / "passwd"
    before = canary.read_text()
    client = devcluster.client()
    config = with_shell_check(job("scribbler", [process("p", "sleep 300")]),
                              f"echo pwned >> {canary}")
    client.create_job(config)
    wait_for(lambda: statuses(client, config) == ["FAILED"], what="the task to fail")
    (task,) = tasks_of(client, config)
    assert "health check" in task.taskEvents[-1].message
    assert canary.read_text() == before
    assert canary.stat().st_uid == 0


def test_upstreams_bad_health_check_update_rolls_back(dev_home):
    """Upstream's `test_update_fail` with http_example_bad_healthcheck.aurora: the role
    is the user running the tests, as there (root here, so the tasks run as nobody)."""
    canary = canary_folder() / "passwd"
    role = getpass.getuser()
    key = f"devcluster/{role}/test/bad_healthcheck"
    config = str(FIXTURES / "jobs" / "bad_healthcheck.aurora")
    binds = ["--bind", f"canary={canary}", "--bind", f"job_role={role}"]
    created = dev_home.run("job", "create", key, config, *binds, "--bind", "check=true",
                           "--wait-until", "RUNNING")
    assert created.returncode == 0, created.stderr
    try:
        update = dev_home.run("update", "start", key, config, *binds, "--wait", timeout=180)
        assert update.returncode == 4, update.stdout + update.stderr
        assert "ROLLED_BACK" in update.stdout
        assert canary.exists()
    finally:
        dev_home.run("job", "killall", key)


def unsupported_executor_job(name: str) -> object:
    """A job the devcluster refuses to run (nothing of it ever starts), launched all the
    same: its STARTING event says whom it would have run as."""
    config = job(name, [process("p", "true")], role="root")
    config.taskConfig.executorConfig.name = "NotThermos"
    return config


def test_only_the_explicit_option_runs_tasks_as_root(devcluster, tmp_path):
    client = devcluster.client()
    default = unsupported_executor_job("default-user")
    client.create_job(default)
    wait_for(lambda: statuses(client, default) == ["FAILED"], what="FAILED")
    assert f"runs as {FALLBACK}" in starting_message(client, default)     # role root

    as_root = Devcluster(tmp_path / "as-root", args=("--run-tasks-as-root",)).start()
    try:
        root_client = as_root.client()
        config = unsupported_executor_job("root-user")
        root_client.create_job(config)
        wait_for(lambda: statuses(root_client, config) == ["FAILED"], what="FAILED")
        assert "runs as root: --run-tasks-as-root" in starting_message(root_client, config)
    finally:
        as_root.stop()


@pytest.mark.parametrize(("option", "words"), [
    (("--task-user", "root"), "the task user 'root' is root"),
    (("--task-user", NO_SUCH_ROLE), f"the task user '{NO_SUCH_ROLE}' does not exist"),
])
def test_a_root_or_missing_fallback_user_is_refused(tmp_path, option, words):
    done = Devcluster(tmp_path / "refused").command("start", *option)
    assert done.returncode == 5
    assert len(done.stderr.splitlines()) == 1 and words in done.stderr


def test_a_state_dir_the_tasks_cannot_reach_is_refused_at_start(tmp_path):
    """pytest's folder (/tmp/pytest-of-root, 0700) is closed to nobody: one line naming it."""
    closed = next(p for p in reversed([tmp_path, *tmp_path.parents])
                  if not p.stat().st_mode & 0o001)
    where = ["--port", str(free_port()), "--state-dir", str(tmp_path / "state")]
    done = subprocess.run([aurora_bin("aurora-devcluster"), "start", *where],
                          capture_output=True, text=True, timeout=60)
    if done.returncode == 0:        # it should not have started: leave nothing behind
        subprocess.run([aurora_bin("aurora-devcluster"), "stop", *where], timeout=60)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"aurora-devcluster: tasks run as nobody, who cannot enter {closed} to reach their "
        f"sandboxes in {tmp_path / 'state'}; choose a --state-dir it can reach, or let it in: "
        f"chmod o+x {closed}"]


def test_a_forged_status_file_neither_stops_scheduling_nor_passes_for_the_runner(devcluster):
    """Job code owns its sandbox, and so `.runner/status.json`: garbage there is ignored."""
    client = devcluster.client()
    forger = job("forger", [process("p", (
        "while true; do echo '[1]' > .runner/f; mv .runner/f .runner/status.json; "
        "sleep 0.05; done"))], service=True)
    client.create_job(forger)
    wait_for(lambda: statuses(client, forger) in (["STARTING"], ["RUNNING"]),
             what="the forger to start")
    (task,) = tasks_of(client, forger)
    status = devcluster.sandbox(task.assignedTask.taskId) / ".runner" / "status.json"
    wait_for(lambda: status.exists() and status.read_text() == "[1]\n", what="the forgery")
    fresh = job("fresh", [process("p", "sleep 300")], service=True)
    client.create_job(fresh)
    try:
        wait_for(lambda: statuses(client, fresh) == ["RUNNING"], timeout=10,
                 what="a fresh job to run beside the forger")
    finally:
        client.kill_tasks(forger.key, None, "done")
        client.kill_tasks(fresh.key, None, "done")
    wait_for(lambda: statuses(client, forger) == ["KILLED"], what="the forger killed")
