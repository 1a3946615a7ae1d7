"""The `update` noun end to end: the real `aurora` against a devcluster running real tasks.

The job is a small Python HTTP server answering the health check on its
`health` port and its version on any other path, so the tests can ask each
running instance which configuration it runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from typing import Any

import pytest

from tests.conftest import FIXTURES
from tests.e2e.test_output_formats import documented, same_shape
from tests.support.devcluster import wait_for

JOB = str(FIXTURES / "jobs" / "health_service.aurora")
CRON = str(FIXTURES / "jobs" / "cron_policy.aurora")


def binds(name: str, **values: Any) -> list[str]:
    values = {"job": name, "python": sys.executable, **values}
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
    real["update pause"] = as_json(dev_home, "update", "pause", k, "-m", "hold on")
    assert status_of(dev_home, name, update_id) == "ROLL_FORWARD_PAUSED"
    assert run(dev_home, "update", "resume", k).stdout == "Update has been resumed.\n"
    assert status_of(dev_home, name, update_id) == "ROLLING_FORWARD"
    real["update info"] = as_json(dev_home, "update", "info", k)      # the active one
    assert real["update info"]["updateId"] == update_id
    waited = run(dev_home, "update", "rollback", k, "--wait", "--timeout", "1", code=9)
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
