"""The scheduler's reading of a runner's status file, which job code can rewrite."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from aurora.devcluster.executor import ProcessExecutor
from aurora.devcluster.privileges import TaskUser, closed_dir
from aurora.devcluster.statusfile import STATUS_LIMIT, checked_status

TASK = "1-www-data-test-job-0-x"


def sandbox_with(tmp_path: Path, content: bytes | None = None) -> Path:
    meta = tmp_path / "sandbox" / ".runner"
    meta.mkdir(parents=True)
    if content is not None:
        (meta / "status.json").write_bytes(content)
    return tmp_path / "sandbox"


def read(sandbox: Path) -> dict:
    return ProcessExecutor.read_status(str(sandbox), TASK)


def test_a_well_formed_status_keeps_only_the_known_fields(tmp_path):
    status = {"task_id": TASK, "state": "FAILED", "message": "bad\x1b[2Jexit", "extra": 1,
              "never_healthy": True, "groups": [os.getpid(), "7", 1, 0, -5]}
    assert read(sandbox_with(tmp_path, json.dumps(status).encode())) == {
        "state": "FAILED", "message": "bad [2Jexit", "never_healthy": True,
        "groups": [os.getpid()]}


@pytest.mark.parametrize("content", [
    b"[1]", b"null", b"\xff\xfe", b"[" * 60_000, b"{" + b" " * STATUS_LIMIT + b"}",
    json.dumps({"task_id": "another-task", "state": "SUCCESS"}).encode(),
    json.dumps({"task_id": TASK, "state": "LOST"}).encode(),
    json.dumps({"state": "SUCCESS"}).encode(),
])
def test_garbage_is_no_status(tmp_path, content):
    assert read(sandbox_with(tmp_path, content)) == {}


def test_links_and_fifos_are_not_followed_or_opened(tmp_path):
    secret = tmp_path / "elsewhere" / "status.json"
    secret.parent.mkdir()
    secret.write_text(json.dumps({"task_id": TASK, "state": "FAILED", "message": "s3cret"}))
    sandbox = sandbox_with(tmp_path)
    (sandbox / ".runner" / "status.json").symlink_to(secret)
    assert read(sandbox) == {}
    (sandbox / ".runner" / "status.json").unlink()
    os.mkfifo(sandbox / ".runner" / "status.json")        # would block a plain open()
    assert read(sandbox) == {}
    (sandbox / ".runner" / "status.json").unlink()
    (sandbox / ".runner").rmdir()
    (sandbox / ".runner").symlink_to(secret.parent)        # a link for the folder too
    assert read(sandbox) == {}


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can signal other users' processes")
def test_as_root_only_groups_led_by_the_sandbox_owner_are_kept(tmp_path):
    mine = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        data = {"task_id": TASK, "state": "RUNNING", "groups": [mine.pid, 1]}
        assert checked_status(data, TASK, owner=33)["groups"] == []        # not www-data's
        assert checked_status(data, TASK, owner=0)["groups"] == [mine.pid]
    finally:
        mine.kill()
        mine.wait()


def test_closed_dir_names_the_first_directory_a_user_cannot_enter(tmp_path):
    shut = tmp_path / "open" / "shut"
    (shut / "inner").mkdir(parents=True)
    os.chmod(tmp_path / "open", 0o711)
    os.chmod(shut, 0o700)
    me = TaskUser("me", os.geteuid(), os.getegid(), "/")
    assert closed_dir(str(shut / "inner"), me) is None
    stranger = TaskUser("stranger", 54321, 54321, "/nonexistent")
    above = [p for p in reversed([tmp_path, *tmp_path.parents]) if not p.stat().st_mode & 1]
    assert closed_dir(str(shut / "inner"), stranger) == str(above[0] if above else shut)
