"""The `job` noun end to end: the real `aurora` command against a real devcluster."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, FIXTURES, aurora_bin
from tests.support.devcluster import Devcluster, free_port, wait_for

JOBS = FIXTURES / "jobs"
SERVICE = str(JOBS / "service.aurora")


def status_json(home, key: str) -> list[dict]:
    done = home.run("job", "status", key, "--write-json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def current(home, key: str) -> list[dict]:
    (job,) = status_json(home, key)
    return job["active"]


def create(home, name: str, count: int = 1, *extra: str) -> str:
    key = f"devcluster/www-data/test/{name}"
    done = home.run("job", "create", key, SERVICE, "--bind", f"job={name}", "--bind",
                    f"count={count}", *extra)
    assert done.returncode == 0, done.stderr
    return key


def running(home, key: str, count: int) -> list[dict]:
    return wait_for(lambda: (lambda t: t if len(t) == count and all(
        x["status"] == "RUNNING" for x in t) else None)(current(home, key)),
        what=f"{count} RUNNING in {key}")


def sandbox(devcluster: Devcluster, task: dict) -> Path:
    return devcluster.sandbox(task["assignedTask"]["taskId"])


def test_hello_world_example_runs_and_writes_its_output(dev_home, devcluster):
    key = "devcluster/www-data/prod/hello"
    done = dev_home.run("job", "create", key, str(EXAMPLES / "hello_world.aurora"),
                        "--wait-until", "RUNNING")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"Job create succeeded: job url={devcluster.url}/scheduler/www-data/" \
                          "prod/hello\n"
    (task,) = running(dev_home, key, 1)
    out = sandbox(devcluster, task) / ".logs" / "hello" / "0" / "stdout"
    assert wait_for(lambda: out.exists() and "hello world" in out.read_text(), what="output")
    text = dev_home.run("job", "status", key)
    assert text.returncode == 0
    lines = text.stdout.splitlines()
    assert lines[:2] == [f"Job {key}:", "Active tasks (1):"]       # one job: same shape
    assert lines[2] == ("\tTask role: www-data, env: prod, name: hello, instance: 0, status: "
                        "RUNNING on 127.0.0.1")
    assert lines[3] == "\t  CPU: 0.1 core(s), RAM: 32 MB, Disk: 32 MB"
    assert "\t  events:" in lines and lines[-1] == "Inactive tasks (0):"
    assert any(" RUNNING: " in line for line in lines)
    again = dev_home.run("job", "create", key, str(EXAMPLES / "hello_world.aurora"))
    assert again.returncode == 4
    assert "Job creation failed due to error: Job already exists: www-data/prod/hello" in \
        again.stderr
    assert dev_home.run("job", "killall", key).returncode == 0


def test_status_json_shape_and_not_found(dev_home):
    key = create(dev_home, "shape")
    (task,) = running(dev_home, key, 1)
    assert set(task) >= {"assignedTask", "status", "failureCount", "taskEvents"}
    assert task["assignedTask"]["task"]["isService"] is True
    assert task["taskEvents"][0]["status"] == "PENDING"
    assert "executorConfig" not in task["assignedTask"]["task"]
    missing = dev_home.run("job", "status", "devcluster/www-data/test/nothing-here")
    assert missing.returncode == 6
    assert missing.stderr.strip().startswith(
        "aurora: Found no jobs matching devcluster/www-data/test/nothing-here")
    as_json = dev_home.run("job", "status", "devcluster/nobody", "--write-json")
    assert as_json.returncode == 6 and json.loads(as_json.stdout)["error"]["exit_code"] == 6
    dev_home.run("job", "killall", key)


def test_list_and_status_with_globs(dev_home):
    keys = [create(dev_home, n) for n in ("glob-a1", "glob-a2", "glob-b1")]
    listed = dev_home.run("job", "list", "devcluster/www-data/test/glob-a*")
    assert listed.returncode == 0 and listed.stdout.split() == keys[:2]
    as_json = json.loads(dev_home.run("job", "list", "devcluster/www-data/*/glob-?1",
                                      "--write-json").stdout)
    assert as_json == [keys[0], keys[2]]
    status = dev_home.run("job", "status", "devcluster/www-data/test/glob-*")
    assert status.returncode == 0
    assert [line for line in status.stdout.splitlines() if line.startswith("Job ")] == [
        f"Job {k}:" for k in keys]
    unknown = dev_home.run("job", "list", "nowhere/www-data")
    assert unknown.returncode == 3 and "Unknown cluster: nowhere" in unknown.stderr
    for key in keys:
        dev_home.run("job", "killall", key)


def test_kill_needs_instances_and_leaves_no_process(dev_home, devcluster):
    key = create(dev_home, "killme", 3)
    tasks = running(dev_home, key, 3)
    refused = dev_home.run("job", "kill", key)
    assert refused.returncode == 6 and f"aurora job killall {key}" in refused.stderr
    runners = {}
    for task in tasks:
        status_file = sandbox(devcluster, task) / ".runner" / "status.json"
        info = wait_for(lambda f=status_file: json.loads(f.read_text()).get("groups") and
                        json.loads(f.read_text()), what="runner status")
        runners[task["assignedTask"]["instanceId"]] = [info["runner_pid"], *info["groups"]]
    done = dev_home.run("job", "kill", f"{key}/0,2", "--batch-size", "2")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Successfully killed instances [0, 2]\nJob kill succeeded\n"
    left = current(dev_home, key)
    assert [t["assignedTask"]["instanceId"] for t in left] == [1]
    for instance in (0, 2):
        for pid in runners[instance]:
            assert not Path(f"/proc/{pid}").exists(), f"process {pid} survived the kill"
    assert all(Path(f"/proc/{pid}").exists() for pid in runners[1])
    done = dev_home.run("job", "killall", key)
    assert done.returncode == 0 and done.stdout.endswith("Job killall succeeded\n")
    nothing = dev_home.run("job", "killall", key)
    assert nothing.returncode == 6 and "No tasks to kill found" in nothing.stderr


def test_restart_replaces_every_instance_in_batches(dev_home):
    key = create(dev_home, "rolling", 3)
    before = {t["assignedTask"]["instanceId"]: t["assignedTask"]["taskId"]
              for t in running(dev_home, key, 3)}
    done = dev_home.run("job", "restart", key, "--batch-size", "2", "--watch-secs", "1",
                        "--healthcheck-interval-seconds", "0.2")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"Job {key} restarted successfully\n"
    assert done.stderr.splitlines()[:4] == [   # off a terminal: a line as each batch starts
        "Restarting instances [0, 1]; watching them stay RUNNING for 1s",
        "Restarted instances [0, 1] (2/3)",
        "Restarting instances [2]; watching them stay RUNNING for 1s",
        "Restarted instances [2] (3/3)"]
    after = {t["assignedTask"]["instanceId"]: t for t in current(dev_home, key)}
    assert sorted(after) == [0, 1, 2]
    for instance, old_id in before.items():
        assert after[instance]["assignedTask"]["taskId"] != old_id
        assert after[instance]["ancestorId"] == old_id
    missing = dev_home.run("job", "restart", "devcluster/www-data/test/no-such-job")
    assert missing.returncode == 6 and "No active instances found" in missing.stderr
    dev_home.run("job", "killall", key)


def test_restart_interrupted_reports_progress_and_exits_130(dev_home):
    key = create(dev_home, "interrupted", 2)
    running(dev_home, key, 2)
    proc = subprocess.Popen([aurora_bin(), "job", "restart", key, "--watch-secs", "30",
                             "--healthcheck-interval-seconds", "0.2"], env=dev_home.env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: any(t.get("ancestorId") for t in current(dev_home, key)),
             what="the first batch to restart")
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "Restart interrupted: restarted none; restarting (not yet watched healthy) [0]; " \
           "not restarted [1]" in err
    assert "Traceback" not in err
    dev_home.run("job", "killall", key)


def test_add_instances_and_errors(dev_home):
    key = create(dev_home, "grow")
    running(dev_home, key, 1)
    done = dev_home.run("job", "add", f"{key}/0", "2", "--wait-until", "RUNNING")
    assert done.returncode == 0, done.stderr
    assert "waiting until RUNNING: " in done.stderr       # off a tty: a line per change
    assert sorted(t["assignedTask"]["instanceId"] for t in current(dev_home, key)) == [0, 1, 2]
    bad = dev_home.run("job", "add", f"{key}/7", "1")
    assert bad.returncode == 6 and "Invalid instance parameter: [7]" in bad.stderr
    dev_home.run("job", "killall", key)


def test_inspect_text_json_and_raw(dev_home):
    key = "devcluster/www-data/test/inspected"
    text = dev_home.run("job", "inspect", key, SERVICE, "--bind", "job=inspected")
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("Job level information\n  name:       'inspected'\n")
    assert "Process 'work':\n  cmdline:\n    echo \"instance {{mesos.instance}} version 1\"" \
        in text.stdout
    data = json.loads(dev_home.run("job", "inspect", key, SERVICE, "--bind", "job=inspected",
                                   "--write-json").stdout)
    assert data["name"] == "inspected" and data["tier"] == "preemptible"
    assert data["task"]["processes"][0]["name"] == "work"
    raw = json.loads(dev_home.run("job", "inspect", key, SERVICE, "--bind", "job=inspected",
                                  "--raw", "--output-format", "json").stdout)
    assert raw["taskConfig"]["executorConfig"]["name"] == "AuroraExecutor"
    assert dev_home.run("job", "list", key).stdout.strip() == key   # exact key echoed


def test_diff_shows_unchanged_then_a_real_diff(dev_home):
    key = create(dev_home, "differ", 2)
    running(dev_home, key, 2)
    same = dev_home.run("job", "diff", key, SERVICE, "--bind", "job=differ", "--bind",
                        "count=2")
    assert same.returncode == 0, same.stderr
    assert same.stdout == "This job update will:\nnot change instances: [0-1]\n"
    changed = dev_home.run("job", "diff", key, SERVICE, "--bind", "job=differ", "--bind",
                           "count=3", "--bind", "version=2")
    assert changed.returncode == 0, changed.stderr
    lines = changed.stdout.splitlines()
    assert lines[:2] == ["This job update will:", "add instances: [2]"]
    assert "update instances: [0-1]" in lines and "with diff:" in lines
    assert any(line.startswith("<") and "version 1" in line for line in lines)
    assert any(line.startswith(">") and "version 2" in line for line in lines)
    viewer = dev_home.run("job", "diff", key, SERVICE, "--bind", "job=differ", "--bind",
                          "version=2", env=dev_home.env(DIFF_VIEWER="diff -u"))
    assert "+++" in viewer.stdout and "remove instances: [1]" in viewer.stdout
    dev_home.run("job", "killall", key)


def test_open_prints_the_url(dev_home, devcluster):
    done = dev_home.run("job", "open", "devcluster/www-data/test", env=dev_home.env(
        BROWSER="true"))
    assert done.returncode == 0
    assert done.stdout == f"{devcluster.url}/scheduler/www-data/test\n"
    import urllib.request

    key = create(dev_home, "opened")
    url = dev_home.run("job", "open", key, env=dev_home.env(BROWSER="true")).stdout.strip()
    with urllib.request.urlopen(url, timeout=10) as page:      # the link leads somewhere
        html = page.read().decode()
    assert page.status == 200 and "www-data/test/opened" in html and "<table>" in html
    dev_home.run("job", "killall", key)
    bad = dev_home.run("job", "open", "devcluster//test")
    assert bad.returncode == 6 and "must specify role" in bad.stderr


@pytest.mark.parametrize("file,message", [
    ("broken_syntax.aurora", "broken_syntax.aurora:2: invalid Python syntax"),
    ("raises.aurora", "raises.aurora:2: NameError: name 'undefined_helper' is not defined"),
    ("unbound.aurora", "Config contains unbound variables: missing_value"),
    ("missing.aurora", "Could not load resource"),
])
def test_bad_job_files_exit_3_and_send_nothing(dev_home, file, message):
    key = "devcluster/www-data/test/unbound"
    done = dev_home.run("job", "create", key, str(JOBS / file))
    assert done.returncode == 3, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert dev_home.run("job", "status", key).returncode == 6     # nothing was created


def test_wrong_key_lists_the_jobs_in_the_file(dev_home):
    done = dev_home.run("job", "create", "devcluster/www-data/prod/nope",
                        str(EXAMPLES / "hello_world.aurora"))
    assert done.returncode == 3
    assert "Could not find job devcluster/www-data/prod/nope" in done.stderr
    assert "devcluster/www-data/prod/hello" in done.stderr


def test_cron_job_is_refused_by_create(dev_home):
    done = dev_home.run("job", "create", "devcluster/www-data/test/nightly",
                        str(JOBS / "cron.aurora"))
    assert done.returncode == 4 and "aurora cron schedule" in done.stderr


def test_devcluster_autostart_and_opt_out(home, tmp_path):
    port = free_port()
    home.write_clusters([{"name": "devcluster", "scheduler_uri": f"http://127.0.0.1:{port}",
                          "autostart": True}])
    env = home.env()
    state = home.devcluster_state
    try:
        done = home.run("job", "list", "devcluster/www-data", env=env)
        assert done.returncode == 0, done.stderr
        assert f"started the devcluster at http://127.0.0.1:{port}" in done.stderr
        assert "aurora-devcluster stop" in done.stderr
        assert (state / "devcluster.pid").exists()
    finally:
        subprocess.run([str(Path(aurora_bin()).parent / "aurora-devcluster"), "stop",
                        "--state-dir", str(state)], capture_output=True, env=env)
    home.write_client_config("[devcluster]\nautostart = false\n[scheduler]\nretries = 0\n")
    refused = home.run("job", "list", "devcluster/www-data")
    assert refused.returncode == 7 and "cannot reach the scheduler" in refused.stderr
    assert "started the devcluster" not in refused.stderr


def test_timeouts_from_flags_and_client_toml(home):
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    try:
        home.write_clusters([{"name": "slow", "scheduler_uri":
                              f"http://127.0.0.1:{silent.getsockname()[1]}"}])
        home.write_client_config("[scheduler]\nretries = 1\n")
        flag = home.run("--timeout", "0.5", "job", "list", "slow/www-data")
        assert flag.returncode == 9 and "within 0.5s" in flag.stderr
        assert len(flag.stderr.strip().splitlines()) == 1   # the deadline covers retries too
        home.write_client_config("[scheduler]\ntimeout = 0.3\nretries = 0\n")
        toml = home.run("job", "list", "slow/www-data")
        assert toml.returncode == 9 and "within 0.3s" in toml.stderr
        bad = home.run("--timeout", "soon", "job", "list", "slow/www-data")
        assert bad.returncode == 5 and "positive number of seconds" in bad.stderr
    finally:
        silent.close()


def test_scheduler_errors_map_to_exit_codes(home, devcluster):
    home.write_clusters([{"name": "nozk"}, devcluster.cluster_entry("dev2")])
    neither = home.run("job", "list", "nozk/www-data")
    assert neither.returncode == 3
    assert 'cluster "nozk" does not specify zk or scheduler_uri' in neither.stderr
    ok = home.run("job", "list", "dev2/www-data")
    assert ok.returncode == 0


def test_readme_example_job(dev_home):
    from tests.conftest import ROOT

    key = "devcluster/www-data/prod/hello"
    example = str(ROOT / "docs" / "examples" / "hello_world.aurora")
    done = dev_home.run("job", "create", key, example, "--wait-until", "RUNNING")
    assert done.returncode == 0, done.stderr
    status = dev_home.run("job", "status", key)
    assert status.returncode == 0 and "status: RUNNING" in status.stdout
    assert dev_home.run("job", "killall", key).returncode == 0


def test_config_list_needs_no_scheduler(home):
    home.write_client_config("[devcluster]\nautostart = false\n")
    done = home.run("config", "list", str(EXAMPLES / "hello_world.aurora"))
    assert done.returncode == 0 and done.stdout == "jobs=[devcluster/www-data/prod/hello]\n"
    bound = home.run("config", "list", SERVICE, "--bind", "job=x")
    assert bound.stdout == "jobs=[devcluster/www-data/test/x]\n"
    broken = home.run("config", "list", str(JOBS / "broken_syntax.aurora"))
    assert broken.returncode == 3 and "invalid Python syntax" in broken.stderr


def test_job_file_errors_come_before_any_scheduler_contact(home):
    home.write_clusters([{"name": "devcluster", "scheduler_uri": "http://127.0.0.1:9"}])
    home.write_client_config("[devcluster]\nautostart = false\n[scheduler]\nretries = 0\n")
    key = "devcluster/www-data/test/x"
    missing = home.run("job", "create", key, str(JOBS / "missing.aurora"))
    assert missing.returncode == 3 and "Could not load resource" in missing.stderr
    bad_bind = home.run("job", "create", key, SERVICE, "--bind", "nonsense")
    assert bad_bind.returncode == 3 and "is not of the form name=value" in bad_bind.stderr
    reachable_needed = home.run("job", "create", key, SERVICE, "--bind", "job=x", "--bind",
                                "count=1")
    assert reachable_needed.returncode == 7 and "getTierConfigs" in reachable_needed.stderr
