"""`aurora task run|ssh|scp` over a real OpenSSH server to the devcluster's tasks.

The devcluster's tasks report 127.0.0.1 as their host and keep their sandboxes
under the cluster's `slave_root`, so ssh to the test's sshd on 127.0.0.1 and a
`cd` into the sandbox reach them exactly as on a Mesos agent. The job's role is
the user the tests run as, because `task scp` always logs in as the role.
"""

from __future__ import annotations

import getpass
import json
import subprocess
import urllib.request
from pathlib import Path

import pytest

from aurora.api.idl import api
from tests.conftest import aurora_bin
from tests.e2e.test_output_formats import documented, same_shape
from tests.support.devcluster import free_port, wait_for
from tests.support.jobs import job, process, statuses, tasks_of

ROLE = getpass.getuser()
KEY = f"devcluster/{ROLE}/test/reach"
WEB = ("echo hello-{{mesos.instance}}; "
       "exec python3 -m http.server {{thermos.ports[http]}} --bind 127.0.0.1")


def remote(text: str) -> str:
    """Output without the test sshd's own debug lines (its LogLevel is DEBUG1, for the
    tunnel tests, and its session processes log to the session's stderr)."""
    return "".join(line for line in text.splitlines(keepends=True)
                   if "debug1: " not in line)


@pytest.fixture(scope="module")
def reach(devcluster):
    """A 3-instance service whose tasks serve their sandbox over HTTP; killed afterwards."""
    client = devcluster.client()
    config = job("reach", [process("web", WEB)], instances=3, service=True, role=ROLE,
                 ports=("http",))
    client.create_job(config)
    wait_for(lambda: statuses(client, config, active_only=True) == ["RUNNING"] * 3,
             timeout=60, what="3 RUNNING")
    tasks = {t.assignedTask.instanceId: t for t in tasks_of(client, config, active_only=True)}
    for task in tasks.values():
        log = devcluster.sandbox(task.assignedTask.taskId) / ".logs" / "web" / "0" / "stdout"
        wait_for(lambda log=log: log.exists() and "hello" in log.read_text(), what="output")
    yield tasks
    client.kill_tasks(config.key, None, "done")


@pytest.fixture
def ssh_home(dev_home, sshd):
    # `=`: a separate value starting with -p would be read as task ssh's own -p (argparse)
    dev_home.ssh = (f"--ssh-options=-p {sshd.port} {sshd.ssh_options}",)
    dev_home.scp = (f"--scp-options=-P {sshd.port} {sshd.ssh_options}",)
    return dev_home


def test_task_run_in_every_sandbox(ssh_home, reach, tmp_path):
    listing = ssh_home.run("task", "run", KEY, "ls -a", *ssh_home.ssh)
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.count("127.0.0.1:  .logs\n") == 3
    assert "exit status by instance: 0 on 0-2" in listing.stderr

    barrier = tmp_path / "barrier"      # every instance waits until all three started
    barrier.mkdir()
    command = (f"touch {barrier}/{{{{mesos.instance}}}}; for i in $(seq 1200); do "
               f"[ $(ls {barrier} | wc -l) -ge 3 ] && break; sleep 0.1; done; "
               "echo {{mesos.instance}} {{thermos.task_id}} {{thermos.ports[http]}} "
               f"$(ls {barrier} | wc -l) {{{{other.name}}}}")
    parallel = ssh_home.run("task", "run", "-t", "3", KEY, command, *ssh_home.ssh,
                            "--write-json")
    assert parallel.returncode == 0, parallel.stderr
    records = json.loads(parallel.stdout)
    assert [r["instance"] for r in records] == [0, 1, 2]
    for record in records:
        task = reach[record["instance"]].assignedTask
        assert remote(record["output"]) == (f"{task.instanceId} {task.taskId} "
                                    f"{task.assignedPorts['http']} 3 {{{{other.name}}}}\n")
        assert record["host"] == "127.0.0.1" and record["exit_status"] == 0
    same_shape(documented()["task run"][0], records, "task run")


def test_task_run_reports_failed_and_unreachable_instances(ssh_home, reach):
    failing = ssh_home.run("task", "run", f"{KEY}/0-2", "test {{mesos.instance}} -ne 2",
                           "-l", ROLE, *ssh_home.ssh, "--write-json")
    assert failing.returncode == 4
    assert [r["exit_status"] for r in json.loads(failing.stdout)] == [0, 0, 1]
    assert "instance 2 on 127.0.0.1 exited 1" in failing.stderr
    closed = ssh_home.run("task", "run", f"{KEY}/1", "true", "--ssh-options",
                          f"-p {free_port()} -o ConnectTimeout=10")
    assert closed.returncode == 4
    assert "instance 1 on 127.0.0.1 was unreachable" in closed.stderr
    nothing = ssh_home.run("task", "run", f"{KEY}/7", "true", *ssh_home.ssh)
    assert nothing.returncode == 6 and "No live instances" in nothing.stderr


def test_task_ssh_command_status_and_errors(ssh_home, reach):
    log = ssh_home.run("task", "ssh", f"{KEY}/1", "-c", "cat .logs/web/0/stdout",
                       *ssh_home.ssh)
    assert log.returncode == 0, log.stderr
    assert remote(log.stdout).splitlines()[0] == "hello-1"
    assert ssh_home.run("task", "ssh", f"{KEY}/1", "-c", "exit 7",
                        *ssh_home.ssh).returncode == 7
    executor = ssh_home.run("task", "ssh", f"{KEY}/0", "--executor-sandbox", "-c", "ls",
                            *ssh_home.ssh, "--write-json")
    assert remote(json.loads(executor.stdout)["output"]).split() == ["sandbox"]
    same_shape(documented()["task ssh"][0], json.loads(executor.stdout), "task ssh")
    no_instance = ssh_home.run("task", "ssh", KEY, "-c", "true", *ssh_home.ssh)
    assert no_instance.returncode == 6
    assert "INSTANCE must be specified when --command option is given" in no_instance.stderr
    bad = ssh_home.run("task", "ssh", f"{KEY}/0", "-L", "http", *ssh_home.ssh)
    assert bad.returncode == 6 and "Could not parse tunnel: http." in bad.stderr
    unknown = ssh_home.run("task", "ssh", f"{KEY}/0", "-L", "1234:admin", *ssh_home.ssh)
    assert unknown.returncode == 6 and "has no port named admin" in unknown.stderr
    missing = ssh_home.run("task", "ssh", f"{KEY}/9", *ssh_home.ssh)
    assert missing.returncode == 6 and f"Job {KEY}/9 not found" in missing.stderr


def test_task_ssh_forwards_a_named_port(ssh_home, reach, tmp_path, sshd):
    port, pid_file, stop = free_port(), tmp_path / "ssh.pid", tmp_path / "stop"
    session = subprocess.Popen(
        [aurora_bin(), "task", "ssh", f"{KEY}/0", "-L", f"{port}:http", "-p", str(pid_file),
         "-c", f"while [ ! -e {stop} ]; do sleep 0.2; done",
         f"--ssh-options=-p {sshd.port} -o ExitOnForwardFailure=yes {sshd.ssh_options}"],
        env=ssh_home.env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        pid = int(wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(),
                           what="the pid file"))
        assert Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0] == b"ssh"

        def fetch() -> str | None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
                    return page.read().decode()
            except OSError:
                return None
        listing = wait_for(fetch, timeout=30, what="the forwarded port to answer")
        assert ".logs/" in listing            # the task's HTTP server lists its sandbox
    finally:
        stop.touch()
        out, err = session.communicate(timeout=60)
    assert session.returncode == 0, err


def test_task_scp_to_and_from_sandboxes(ssh_home, reach, tmp_path, devcluster):
    sandbox = devcluster.sandbox(reach[0].assignedTask.taskId)
    upload = tmp_path / "up.txt"
    upload.write_text("uploaded\n")
    for remote, landed in (("up.txt", sandbox / "up.txt"),
                           ("../beside.txt", sandbox.parent / "beside.txt"),
                           (str(tmp_path / "abs.txt"), tmp_path / "abs.txt")):
        done = ssh_home.run("task", "scp", str(upload), f"{KEY}/0:{remote}", *ssh_home.scp)
        assert done.returncode == 0, done.stderr
        assert landed.read_text() == "uploaded\n"
    local = tmp_path / "got"
    down = ssh_home.run("task", "scp", f"{KEY}/2:.logs/web/0/stdout", str(local),
                        *ssh_home.scp, "--write-json")
    assert down.returncode == 0, down.stderr
    same_shape(documented()["task scp"][0], json.loads(down.stdout), "task scp")
    assert local.read_text().startswith("hello-2\n")
    (tmp_path / "a:b").write_text("colon\n")
    colon = ssh_home.run("task", "scp", "./a:b", f"{KEY}/1:colon.txt", *ssh_home.scp,
                         cwd=str(tmp_path))
    assert colon.returncode == 0, colon.stderr
    assert (devcluster.sandbox(reach[1].assignedTask.taskId) / "colon.txt").exists()


def test_task_scp_refusals(ssh_home, reach, tmp_path):
    tilde = ssh_home.run("task", "scp", f"{KEY}/0:~/x", str(tmp_path), *ssh_home.scp)
    assert tilde.returncode == 6
    assert "Command does not support tilde expansion for path: ~/x" in tilde.stderr
    unknown = ssh_home.run("task", "scp", f"{KEY}/9:x", str(tmp_path), *ssh_home.scp)
    assert unknown.returncode == 6 and f"Job or instance {KEY}/9 not found" in unknown.stderr
    colon = ssh_home.run("task", "scp", "a:b", str(tmp_path), *ssh_home.scp)
    assert colon.returncode == 6 and "write a local file whose name contains ':' as ./a:b" \
        in colon.stderr
    assert len(colon.stderr.strip().splitlines()) == 1


def test_clusters_without_an_agent_layout_are_one_line_exit_3(home, devcluster):
    home.write_clusters([{"name": "bare", "scheduler_uri": devcluster.url}])
    for argv in (("task", "run", "bare/r/e/n", "true"), ("task", "ssh", "bare/r/e/n/0"),
                 ("task", "scp", "bare/r/e/n/0:x", "."), ("task", "run", "nowhere/r/e/n", "ls")):
        done = home.run(*argv)
        assert done.returncode == 3, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
        assert "Unknown cluster: nowhere" in done.stderr if "nowhere" in argv[2] else \
            "cluster bare has no slave_root and no slave_run_directory" in done.stderr


def test_non_ok_answer_is_exit_10(home):
    from tests.e2e.test_scheduler_client import reply
    from tests.support.fakehttp import FakeScheduler

    answer = (200, reply("getTasksStatus", api().ResponseCode.INVALID_REQUEST, "bad query"))
    with FakeScheduler(lambda n, seen: answer) as fake:
        home.write_clusters([{"name": "fake", "scheduler_uri": fake.url, "slave_root": "/x",
                              "slave_run_directory": "latest"}])
        done = home.run("task", "run", "fake/r/e/n", "true")
    assert done.returncode == 10
    assert "Unable to get information about instance: bad query" in done.stderr


def test_devcluster_status_names_the_agent_layout(devcluster):
    done = devcluster.command("status")
    assert done.returncode == 0, done.stderr
    assert (f"tasks run on host 127.0.0.1; slave_root {devcluster.state_dir / 'agent'}, "
            "slave_run_directory latest") in done.stdout
