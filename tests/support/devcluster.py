"""Start and stop real `aurora-devcluster` processes for tests, on 127.0.0.1 only."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Devcluster:
    state_dir: Path
    port: int = field(default_factory=free_port)
    executor: str = "process"
    args: tuple[str, ...] = ()       # extra options for every command (e.g. --zk ...)
    env: dict[str, str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self, action: str, *extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(BIN / "aurora-devcluster"), action, "--port", str(self.port), "--state-dir",
             str(self.state_dir), "--executor", self.executor, *self.args, *extra],
            capture_output=True, text=True, timeout=60, env=self.env)

    def start(self) -> Devcluster:
        done = self.command("start")
        assert done.returncode == 0, done.stderr + done.stdout
        return self

    def stop(self) -> None:
        self.command("stop")

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

    def cluster_entry(self, name: str = "devcluster") -> dict[str, str]:
        return {"name": name, "scheduler_uri": self.url,
                "slave_root": str(self.state_dir / "agent"), "slave_run_directory": "latest"}

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
