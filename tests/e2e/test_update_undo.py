"""`update undo`, `update info --diff` and what `update abort` leaves, end to end.

The real `aurora` against the session's devcluster running real tasks: each
instance's server answers the version its configuration carries, so a test
sees which configuration every instance runs after an undo.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_output_formats import documented, same_shape
from tests.e2e.test_update_noun import (
    JOB,
    as_json,
    binds,
    create,
    key,
    one_line_error,
    run,
    running_versions,
)
from tests.support.devcluster import wait_for


def update_id_of(stdout: str) -> str:
    return stdout.split("/update/")[1].split()[0]


def diff_lines(text: str, sign: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(sign + " ")]


def test_undo_restores_the_replaced_configuration_and_info_shows_the_diff(dev_home):
    name, k = "undo-one", key("undo-one")
    create(dev_home, name)
    forward = update_id_of(run(dev_home, "update", "start", k, JOB, *binds(name, version=2),
                               "--wait").stdout)
    assert running_versions(dev_home, name, 2) == {0: "2", 1: "2"}
    text = run(dev_home, "update", "info", k, forward, "--diff").stdout
    diff = text[text.index("Configuration diff:\n"):]
    assert diff.startswith("Configuration diff:\nupdate instances: [0-1]\nwith diff:\n\n")
    assert any("}} 1 yes" in line for line in diff_lines(diff, "<")), diff   # before
    assert any("}} 2 yes" in line for line in diff_lines(diff, ">")), diff   # after
    info = as_json(dev_home, "update", "info", k, forward, "--diff")
    assert info["diff"]["update"] == [[0, 1]] and info["diff"]["add"] == []
    assert info["diff"]["remove"] == [] and info["diff"]["text"] == diff
    assert "diff" not in as_json(dev_home, "update", "info", k, forward)

    done = run(dev_home, "update", "undo", k, "--wait")
    assert done.stdout.startswith("This job update will:\nupdate instances: [0-1]\n"
                                  "Job update has started. View your update progress at ")
    assert done.stdout.endswith("Current state ROLLED_FORWARD\n")
    assert f"Undoing update {forward} for instance(s) 0-1 of: {k}" in done.stderr
    assert running_versions(dev_home, name, 2) == {0: "1", 1: "1"}
    undo_id = update_id_of(done.stdout)
    metadata = as_json(dev_home, "update", "info", k, undo_id)["metadata"]
    assert {"org.apache.aurora.client.undo_of": forward} in metadata

    again = as_json(dev_home, "update", "undo", k, forward)     # the same update: nothing
    assert again["undoes"] == forward and again["left_alone"] == []
    assert [(u["instances"], u["id"], u["message"]) for u in again["updates"]] == [
        ([[0, 1]], None, "Noop update.")]
    run(dev_home, "job", "killall", k)


def test_undo_gives_each_instance_its_own_earlier_configuration(dev_home):
    name, k = "undo-two", key("undo-two")
    create(dev_home, name)
    run(dev_home, "update", "start", f"{k}/1", JOB, *binds(name, version=2), "--wait")
    assert running_versions(dev_home, name, 2) == {0: "1", 1: "2"}
    done = run(dev_home, "update", "start", k, JOB, *binds(name, version=3), "--wait")
    forward = update_id_of(done.stdout)
    assert running_versions(dev_home, name, 2) == {0: "3", 1: "3"}
    info = as_json(dev_home, "update", "info", k, forward, "--diff")
    assert info["diff"]["update"] == [[0, 0], [1, 1]]
    text = info["diff"]["text"]
    assert text.index("update instances: [0]\n") < text.index("update instances: [1]\n")

    undone = as_json(dev_home, "update", "undo", k, "--wait")
    same_shape(documented()["update undo"][0], undone, "update undo")
    assert undone["undoes"] == forward
    assert [(u["instances"], u["status"]) for u in undone["updates"]] == [
        ([[0, 0]], "ROLLED_FORWARD"), ([[1, 1]], "ROLLED_FORWARD")]
    assert all(u["diff"]["update"] == u["instances"] for u in undone["updates"])
    assert running_versions(dev_home, name, 2) == {0: "1", 1: "2"}
    run(dev_home, "job", "killall", k)


def test_undo_refusals_removed_instances_and_what_abort_leaves(dev_home, tmp_path: Path):
    name, k = "undo-edge", key("undo-edge")
    create(dev_home, name, count=1)
    line = one_line_error(dev_home, "update", "undo", k, code=6)
    assert f"there is no update of {k} to undo" in line
    grow = update_id_of(run(dev_home, "update", "start", k, JOB, *binds(name, count=2),
                            "--wait").stdout)
    line = one_line_error(dev_home, "update", "undo", k, code=4)
    assert f"update {grow} of {k} replaced no instance" in line
    assert f"aurora job kill {k}/1" in line

    run(dev_home, "update", "start", k, JOB, *binds(name, count=1), "--wait")  # removes 1
    assert running_versions(dev_home, name, 1) == {0: "1"}
    back = run(dev_home, "update", "undo", k, "--wait")
    assert "add instances: [1]\n" in back.stdout
    assert running_versions(dev_home, name, 2) == {0: "1", 1: "1"}

    slow = tmp_path / "slow.aurora"           # a new task that never becomes RUNNING
    slow.write_text(Path(JOB).read_text()
                    .replace("exec {{python}}", "sleep 600; exec {{python}}")
                    .replace("initial_interval_secs = 1", "initial_interval_secs = 600"))
    started = as_json(dev_home, "update", "start", k, str(slow), *binds(name, version=2))
    for args in ((), (started["id"],)):
        line = one_line_error(dev_home, "update", "undo", k, *args, code=4)
        assert f"update {started['id']} of {k} is still ROLLING_FORWARD" in line, line
        assert f"aurora update rollback {k}" in line

    def instance_0_not_running() -> bool:
        active = as_json(dev_home, "job", "status", k)[0]["active"]
        return not any(t["assignedTask"]["instanceId"] == 0 and t["status"] == "RUNNING"
                       for t in active)
    wait_for(instance_0_not_running, timeout=60, what="instance 0 being replaced")
    aborted = run(dev_home, "update", "abort", k)
    assert aborted.stdout == ("Update has been aborted.\n1 instance(s) have no running task "
                              f"now: 0; see them with: aurora job status {k}\n")
    run(dev_home, "job", "killall", k)
