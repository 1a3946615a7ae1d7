"""The `update` noun end to end: the real `aurora` against a devcluster running real tasks.

The job is a small Python HTTP server answering the health check on its
`health` port and its version on any other path, so the tests can ask each
running instance which configuration it runs.
"""

from __future__ import annotations

import json
import signal
import subprocess
import urllib.request
from typing import Any

import pytest

from tests.conftest import FIXTURES, aurora_bin
from tests.e2e.test_output_formats import documented, same_shape
from tests.support.devcluster import Devcluster, task_python, wait_for
from tests.support.fakehttp import FakeScheduler, post_upstream

JOB = str(FIXTURES / "jobs" / "health_service.aurora")
CRON = str(FIXTURES / "jobs" / "cron_policy.aurora")


def binds(name: str, **values: Any) -> list[str]:
    values = {"job": name, "python": task_python(), **values}
    return [arg for k, v in values.items() for arg in ("--bind", f"{k}={v}")]


def key(name: str) -> str:
    return f"devcluster/www-data/test/{name}"


def run(home, *args: str, code: int = 0) -> subprocess.CompletedProcess:
    done = home.run(*args)
    assert done.returncode == code, f"{args}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr
    return done


def as_json(home, *args: str, code: int = 0) -> Any:
    return json.loads(run(home, *args, "--write-json", code=code).stdout)


def one_line_error(home, *args: str, code: int) -> str:
    done = run(home, *args, code=code)
    lines = [line for line in done.stderr.splitlines() if line.startswith("aurora:")]
    assert len(lines) == 1, done.stderr        # progress lines aside, one error line
    return lines[0]


def create(home, name: str, **values: Any) -> None:
    run(home, "job", "create", key(name), JOB, *binds(name, **values), "--wait-until",
        "RUNNING")


def versions(home, name: str) -> dict[int, str]:
    """What each active instance's server says its version is."""
    status = as_json(home, "job", "status", key(name))
    out = {}
    for task in status[0]["active"]:
        port = task["assignedTask"]["assignedPorts"]["health"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/version", timeout=5) as reply:
            out[task["assignedTask"]["instanceId"]] = reply.read().decode()
    return out


def running_versions(home, name: str, count: int) -> dict[int, str]:
    """Versions once `count` instances are RUNNING and answering."""
    def ready() -> dict[int, str] | None:
        try:
            found = versions(home, name)
        except OSError:
            return None
        return found if len(found) == count else None
    return wait_for(ready, timeout=60, what=f"{count} instances of {name} answering")


def status_of(home, name: str, update_id: str) -> str:
    return as_json(home, "update", "info", key(name), update_id)["status"]


def test_healthy_update_rolls_forward_and_info_lists_the_events(dev_home):
    create(dev_home, "upd-fwd")
    done = run(dev_home, "update", "start", key("upd-fwd"), JOB,
               *binds("upd-fwd", version=2), "--wait", "-m", "to v2")
    assert done.stdout.startswith("This job update will:\nupdate instances: [0-1]\n"
                                  "Job update has started. View your update progress at ")
    assert done.stdout.endswith("Current state ROLLED_FORWARD\n")
    assert "Current state ROLLING_FORWARD" in done.stderr
    assert "  instance 1: INSTANCE_UPDATED" in done.stderr
    assert running_versions(dev_home, "upd-fwd", 2) == {0: "2", 1: "2"}
    update_id = done.stdout.split("/update/")[1].split()[0]
    info = as_json(dev_home, "update", "info", key("upd-fwd"), update_id)
    assert info["status"] == "ROLLED_FORWARD" and info["updateId"] == update_id
    events = [(e["instance"], e["action"]) for e in info["instance_update_events"]]
    assert events == [(0, "INSTANCE_UPDATING"), (0, "INSTANCE_UPDATED"),
                      (1, "INSTANCE_UPDATING"), (1, "INSTANCE_UPDATED")]
    assert [e["status"] for e in info["update_events"]] == ["ROLLING_FORWARD",
                                                             "ROLLED_FORWARD"]
    assert info["update_events"][0].get("message") == "to v2"
    assert list(info["metadata"][0]) == ["org.apache.aurora.client.update_id"]
    text = run(dev_home, "update", "info", key("upd-fwd"), update_id).stdout.splitlines()
    assert text[0] == f"Job: {key('upd-fwd')}, UpdateID: {update_id}"
    assert text[2] == "Current status: ROLLED_FORWARD"
    assert text.index("Instance events:") < text.index("Metadata:")
    noop = run(dev_home, "update", "start", key("upd-fwd"), JOB, *binds("upd-fwd", version=2))
    assert noop.stdout == "This job update will:\nnot change instances: [0-1]\nNoop update.\n"
    run(dev_home, "job", "killall", key("upd-fwd"))


@pytest.mark.parametrize("rollback, status, code", [(True, "ROLLED_BACK", 4),
                                                    (False, "FAILED", 20)])
def test_failing_health_check(dev_home, rollback, status, code):
    name = f"upd-sick-{int(rollback)}"
    create(dev_home, name)
    done = run(dev_home, "update", "start", key(name), JOB,
               *binds(name, version=3, healthy="no", rollback=rollback), "--wait", code=code)
    assert done.stdout.endswith(f"Current state {status}\n")
    assert f"ended {status}; see what happened with: aurora update info" in done.stderr
    assert "INSTANCE_UPDATE_FAILED" in done.stderr
    update_id = done.stdout.split("/update/")[1].split()[0]
    failed = as_json(dev_home, "update", "list", key(name), "--status", "failed")
    assert [(r["id"], r["status"]) for r in failed] == [(update_id, status)]
    if rollback:
        assert running_versions(dev_home, name, 2) == {0: "1", 1: "1"}
    run(dev_home, "job", "killall", key(name))


def test_steering_an_update_and_the_json_of_every_verb(dev_home):
    docs, real = documented(), {}
    name, k = "upd-steer", key("upd-steer")
    create(dev_home, name)
    slow = binds(name, version=2, watch=120)
    real["update start"] = started = as_json(dev_home, "update", "start", k, JOB, *slow)
    update_id = started["id"]
    assert started["diff"]["update"] == [[0, 1]]
    refused = one_line_error(dev_home, "update", "start", k, JOB, *binds(name, version=3),
                             code=10)
    assert refused.startswith("aurora: Failed to start update due to error:")
    assert update_id in refused
    assert run(dev_home, "update", "pause", k, "-m", "hold on").stdout == (
        "Update has been paused.\n")
    assert status_of(dev_home, name, update_id) == "ROLL_FORWARD_PAUSED"
    real["update resume"] = as_json(dev_home, "update", "resume", k)
    assert status_of(dev_home, name, update_id) == "ROLLING_FORWARD"
    real["update info"] = as_json(dev_home, "update", "info", k)      # the active one
    assert real["update info"]["updateId"] == update_id
    waited = run(dev_home, "update", "rollback", k, "--wait", "--timeout", "2", code=9)
    assert waited.stdout == "Update rollback has started.\n"
    timed_out = one_line_error(dev_home, "update", "wait", k, "--timeout", "2", code=9)
    assert f"update {update_id} of {k} is still ROLLING_BACK" in timed_out
    assert status_of(dev_home, name, update_id) == "ROLLING_BACK"
    real["update abort"] = as_json(dev_home, "update", "abort", k)
    assert status_of(dev_home, name, update_id) == "ABORTED"
    real["update wait"] = as_json(dev_home, "update", "wait", k, update_id, code=20)
    assert real["update wait"]["status"] == "ABORTED"
    real["update list"] = as_json(dev_home, "update", "list", k)
    for verb, output in real.items():
        assert verb in docs, f"docs/output.md does not document `{verb}`"
        same_shape(docs[verb][0], output, verb)
    run(dev_home, "job", "killall", k)


def on_a_terminal(home, *args: str) -> tuple[int, str, str]:
    """Run `aurora` with stderr on a pseudo-terminal: (exit code, stdout, terminal text)."""
    from tests.support.terminal import on_a_terminal as run_on_a_terminal

    screen = run_on_a_terminal([aurora_bin(), *args], home.env())
    return screen.code, screen.piped, screen.text


def test_instance_count_changes_add_and_remove(dev_home):
    name, k = "upd-count", key("upd-count")
    create(dev_home, name)
    code, out, terminal = on_a_terminal(dev_home, "update", "start", k, JOB,
                                        *binds(name, count=3), "--wait")
    assert code == 0, terminal
    assert "add instances: [2]\nnot change instances: [0-1]\n" in out
    assert "s] ROLLED_FORWARD 1/1 updated" in terminal and "\r[" in terminal and (
        "INSTANCE_UPDATING" not in terminal)                 # one line, redrawn
    assert running_versions(dev_home, name, 3) == {0: "1", 1: "1", 2: "1"}
    shrink = run(dev_home, "update", "start", k, JOB, *binds(name, count=1), "--wait")
    assert shrink.stdout.count("remove instances: [1-2]\n") == 1
    assert shrink.stdout.endswith("Current state ROLLED_FORWARD\n")
    assert running_versions(dev_home, name, 1) == {0: "1"}
    run(dev_home, "job", "killall", k)


def test_pulse_and_list_filters(dev_home, devcluster, tmp_path):
    from aurora.api.idl import api

    name, k = "upd-pulse", key("upd-pulse")
    pulsed = tmp_path / "pulsed.aurora"
    pulsed.write_text(open(JOB).read().replace("max_total_failures = 0)",
                                               "max_total_failures = 0, pulse_interval_secs = 60)"))
    create(dev_home, name)
    started = as_json(dev_home, "update", "start", k, str(pulsed), *binds(name, version=2))
    update_id = started["id"]
    assert status_of(dev_home, name, update_id) == "ROLL_FORWARD_AWAITING_PULSE"
    ids = {group: [row["id"] for row in as_json(dev_home, "update", "list", "devcluster/www-data",
                                                "--status", group)]
           for group in ("blocked", "active", "paused", "inactive")}
    assert update_id in ids["blocked"] and update_id in ids["active"]
    assert update_id not in ids["paused"] + ids["inactive"]
    a = api()
    client = devcluster.client()
    client.call("pulseJobUpdate", a.JobUpdateKey(job=a.JobKey(
        role="www-data", environment="test", name=name), id=update_id))
    run(dev_home, "update", "wait", k)          # no id: the active update
    assert status_of(dev_home, name, update_id) == "ROLLED_FORWARD"
    for pattern in ("devcluster", "devcluster/www-data/test", "devcluster/www-*/te?t/upd-pu*"):
        rows = as_json(dev_home, "update", "list", pattern, "--status", "succeeded")
        assert update_id in [r["id"] for r in rows], pattern
    other_env = as_json(dev_home, "update", "list", "devcluster/www-data/prod")
    assert all(r["job"].split("/")[2] == "prod" for r in other_env)
    user = as_json(dev_home, "update", "list", k)[0]["user"]
    assert update_id in [r["id"] for r in as_json(dev_home, "update", "list", k, "--user", user)]
    assert as_json(dev_home, "update", "list", k, "--user", "nobody-at-all") == []
    table = run(dev_home, "update", "list", k).stdout.splitlines()
    assert table[0].split()[:3] == ["JOB", "ID", "STATUS"] and update_id in table[1]
    run(dev_home, "job", "killall", k)


def test_error_paths_are_one_line_with_the_right_exit_code(dev_home, tmp_path):
    name, k = "upd-errors", key("upd-errors")
    create(dev_home, name)
    for verb in ("pause", "resume", "abort", "rollback", "info", "wait"):
        line = one_line_error(dev_home, "update", verb, k, code=6)
        assert "active update" in line and k in line, line
    line = one_line_error(dev_home, "update", "info", k, "no-such-update", code=6)
    assert "There is no update no-such-update for job" in line
    line = one_line_error(dev_home, "update", "start", key("upd-cron"), CRON, "--bind",
                          "job=upd-cron", "--bind", "policy=CANCEL_NEW", code=4)
    assert 'Cron jobs may only be updated with "aurora cron schedule"' in line
    bad = tmp_path / "bad.aurora"
    bad.write_text(open(JOB).read().replace("max_total_failures = 0)",
                                            "max_total_failures = 0, pulse_interval_secs = 5)"))
    line = one_line_error(dev_home, "update", "start", k, str(bad), *binds(name), code=3)
    assert "invalid update_config: pulse_interval_secs must be at least 60" in line
    line = one_line_error(dev_home, "update", "start", f"{k}/1-5", JOB, *binds(name),
                          "--strict", code=6)
    assert "Invalid instance parameter: [2, 3, 4, 5] not active" in line
    assert as_json(dev_home, "update", "list", k) == []
    run(dev_home, "job", "killall", k)


def test_ctrl_c_while_waiting_leaves_the_update_running(dev_home):
    name, k = "upd-sigint", key("upd-sigint")
    create(dev_home, name)
    update_id = as_json(dev_home, "update", "start", k, JOB,
                        *binds(name, version=2, watch=120))["id"]
    waiting = subprocess.Popen([aurora_bin(), "update", "wait", k], env=dev_home.env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert waiting.stderr.readline() == "Current state ROLLING_FORWARD\n"
        waiting.send_signal(signal.SIGINT)
        out, err = waiting.communicate(timeout=30)
    finally:
        if waiting.poll() is None:
            waiting.kill()
    assert waiting.returncode == 130, err
    assert "goes on in the scheduler" in err and "Traceback" not in err
    assert f"aurora update pause {k}" in err and f"aurora update abort {k}" in err
    assert status_of(dev_home, name, update_id) == "ROLLING_FORWARD"
    rollback = as_json(dev_home, "update", "rollback", k)
    same_shape(documented()["update rollback"][0], rollback, "update rollback")
    assert rollback["id"] == update_id and rollback["action"] == "rollback"
    assert status_of(dev_home, name, update_id) == "ROLLING_BACK"
    run(dev_home, "update", "abort", k)
    run(dev_home, "job", "killall", k)


@pytest.mark.parametrize("arrived", [True, False])
def test_a_lost_start_answer_is_settled_by_the_client_id(dev_home, devcluster, arrived):
    name = f"upd-lost-{int(arrived)}"
    k = key(name)
    create(dev_home, name)
    starts: list[int] = []

    def script(n, seen):
        if b"startJobUpdate" not in seen.body:
            return None
        starts.append(n)
        if arrived:
            post_upstream(devcluster.url, seen.body)  # the scheduler acts; the answer is lost
        return 503, b"answer lost"

    with FakeScheduler(script, devcluster.url) as fake:
        dev_home.write_clusters([{"name": "devcluster", "scheduler_uri": fake.url}])
        done = dev_home.run("update", "start", k, JOB, *binds(name, version=2))
        rows = as_json(dev_home, "update", "list", k)
    dev_home.write_clusters([devcluster.cluster_entry()])
    assert len(starts) == 1 and "Traceback" not in done.stderr     # sent once, never again
    if arrived:
        assert done.returncode == 0, done.stderr
        assert len(rows) == 1 and f"/update/{rows[0]['id']}" in done.stdout
        run(dev_home, "update", "wait", k, rows[0]["id"])
    else:
        assert done.returncode == 7 and rows == [], done.stderr
        assert "the update did not start; run the command again" in done.stderr
    run(dev_home, "job", "killall", k)


def test_an_update_survives_a_devcluster_crash(home, tmp_path):
    cluster = Devcluster(tmp_path / "crashing").start()
    home.use(cluster)
    name, k = "upd-crash", key("upd-crash")
    try:
        create(home, name)
        update_id = as_json(home, "update", "start", k, JOB, *binds(name, version=2, watch=2))["id"]
        wait_for(lambda: as_json(home, "update", "info", k, update_id)["instance_update_events"],
                 timeout=30, what="the update under way")
        cluster.crash()
        cluster.start()
        done = run(home, "update", "wait", k, update_id)
        assert done.stdout.endswith("Current state ROLLED_FORWARD\n")
        assert running_versions(home, name, 2) == {0: "2", 1: "2"}
        run(home, "job", "killall", k)
    finally:
        cluster.stop()


def test_start_job_update_api_hooks_and_no_diff(dev_home, tmp_path):
    k = key("upd-hooked")
    source = (FIXTURES / "jobs" / "hooked.aurora").read_text().replace(
        "name = 'hooked'", "name = 'upd-hooked'")
    first, second = tmp_path / "v1.aurora", tmp_path / "v2.aurora"
    first.write_text(source)
    second.write_text(source.replace("sleep 300", "sleep 301"))
    log = tmp_path / "hooks.log"
    env = dev_home.env(HOOK_LOG=str(log))
    assert dev_home.run("job", "create", k, str(first), env=env).returncode == 0
    done = dev_home.run("update", "start", k, str(second), "--no-diff", env=env)
    assert done.returncode == 0, done.stderr
    assert "This job update will:" not in done.stdout and "Job update has started" in done.stdout
    lines = log.read_text().splitlines()
    assert f"Logger: pre_start_job_update of {k}" in lines
    assert f"Logger: post_start_job_update of {k}" in lines
    run(dev_home, "update", "abort", k)
    dev_home.run("job", "killall", k)      # the aborted replacement may have left none
