"""Start and stop real `aurora-devcluster` processes for tests, on 127.0.0.1 only.

The devcluster itself is the plugin authors' test kit's (`aurora/testing.py`); these
tests add a few abilities of their own (crash it, reach a sandbox, a direct client).
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from aurora import testkit
from aurora.testkit import (  # noqa: F401 - the tests import them from here
    BIN,
    free_port,
    reachable_state_dir,
    session_folder,
    task_python,
    tasks_change_user,
)


class Devcluster(testkit.Devcluster):
    def start(self) -> Devcluster:
        done = self.command("start")
        assert done.returncode == 0, done.stderr + done.stdout
        return self

    @property
    def pid(self) -> int:
        name = f"devcluster-{self.port}.pid" if "--zk" in self.args else "devcluster.pid"
        return json.loads((self.state_dir / name).read_text())["pid"]

    def crash(self) -> None:
        """SIGKILL the scheduler, as a machine failure would."""
        pid = self.pid
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def client(self) -> Any:
        from aurora.api.client import RetryPolicy, SchedulerClient

        return SchedulerClient("devcluster", self.url, retry=RetryPolicy(retries=2, budget=5))

    def sandbox(self, task_id: str) -> Path:
        """A process-executor task's sandbox (its latest run), as `aurora task` finds it."""
        found = list((self.state_dir / "agent").glob(
            f"slaves/*/frameworks/*/executors/thermos-{task_id}/runs/latest/sandbox"))
        assert len(found) == 1, f"no single sandbox for {task_id}: {found}"
        return found[0]


def wait_for(predicate: Any, timeout: float = 20.0, interval: float = 0.1,
             what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
