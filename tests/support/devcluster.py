"""Start and stop real `aurora-devcluster` processes for tests, on 127.0.0.1 only."""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
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

    def __post_init__(self) -> None:
        if tasks_change_user(self.executor, self.args):
            self.state_dir = reachable_state_dir(Path(self.state_dir))

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


def tasks_change_user(executor: str = "process", args: tuple[str, ...] = ()) -> bool:
    """Whether a devcluster started by these tests runs its tasks as other users."""
    return os.geteuid() == 0 and executor == "process" and "--run-tasks-as-root" not in args


@functools.cache
def task_python() -> str:
    """A Python that tasks can run: this one, unless tasks run as another user who cannot
    reach it (a Python under /root, say); then the first `python3` on their PATH."""
    if not tasks_change_user():
        return sys.executable
    from aurora.devcluster.privileges import TaskUser, closed_dir

    reachable = closed_dir(os.path.realpath(sys.executable), TaskUser.named("nobody")) is None
    return sys.executable if reachable else "python3"


_REACHABLE: dict[Path, Path] = {}


def reachable_state_dir(wanted: Path) -> Path:
    """A state dir the tasks' users can reach, standing for `wanted`.

    Run by root, the devcluster runs tasks as unprivileged users, who must enter
    every directory above their sandboxes; pytest's temporary folders
    (/tmp/pytest-of-root, mode 0700) are closed to them. So such a devcluster keeps
    its state in a folder of its own, made with mkdtemp in one enter-only (0711)
    folder per test session, removed when the session ends. The same `wanted`
    gives the same folder (a test restarting a devcluster on its state).
    """
    if wanted not in _REACHABLE:
        _REACHABLE[wanted] = Path(tempfile.mkdtemp(prefix=f"{wanted.name}-",
                                                   dir=session_folder()))
    return _REACHABLE[wanted]


@functools.cache
def session_folder() -> Path:
    """This test session's enter-only folder for task-reachable files (see above)."""
    top = Path(tempfile.mkdtemp(prefix="aurora-tests-"))
    top.chmod(0o711)
    atexit.register(shutil.rmtree, top, ignore_errors=True)
    return top


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
