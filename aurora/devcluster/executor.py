"""How the devcluster runs a task: as local processes, or simulated.

The engine asks an executor three things: launch a task, tell what became of
it (`observe`), and kill it. `ProcessExecutor` starts one runner per task in a
new session, so runners outlive a crashed scheduler and can be re-adopted;
`SimulatedExecutor` starts nothing, for scale tests and benchmarks.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from aurora.devcluster.layout import new_run_sandbox, slave_root
from aurora.devcluster.reaper import MARKER, kill_marked
from aurora.devcluster.runner import KILL_GRACE_SECONDS, kill_group, write_json_atomically

AURORA_EXECUTOR = "AuroraExecutor"


@dataclass
class Outcome:
    """What an executor observed: a task state name and the message for its event."""
    status: str
    message: str
    ran: bool = True        # False: it ended before it ever became RUNNING (health check)


class SimulatedExecutor:
    """Moves tasks through their states without starting anything."""

    simulated = True

    def __init__(self, state_dir: str):
        self.state_dir = state_dir

    def launch(self, task_id: str, instance: int, hostname: str, ports: dict[str, int],
               config: Any) -> tuple[int | None, str | None]:
        return None, None

    def observe(self, task_id: str, pid: int | None, sandbox: str | None,
                killing: bool) -> Outcome | None:
        if killing:
            return Outcome("KILLED", "Task killed")
        return Outcome("RUNNING", "Task is running (simulated)")

    def kill(self, task_id: str, pid: int | None, sandbox: str | None) -> None:
        pass

    def shutdown(self, tasks: list[tuple[str, int | None, str | None]] = ()) -> None:
        pass


class ProcessExecutor:
    """Runs each task's Thermos process graph in a sandbox laid out as on a Mesos agent."""

    simulated = False

    def __init__(self, state_dir: str):
        self.state_dir = state_dir
        self.sandboxes = slave_root(state_dir)
        os.makedirs(self.sandboxes, mode=0o700, exist_ok=True)
        os.chmod(self.sandboxes, 0o700)     # task output may hold secrets
        self.children: dict[str, subprocess.Popen] = {}
        self.kill_started: dict[str, float] = {}

    def launch(self, task_id: str, instance: int, hostname: str, ports: dict[str, int],
               config: Any) -> tuple[int | None, str | None]:
        sandbox = new_run_sandbox(self.state_dir, hostname, task_id)
        meta = os.path.join(sandbox, ".runner")
        os.makedirs(meta, mode=0o700, exist_ok=True)
        os.chmod(sandbox, 0o700)
        executor = config.executorConfig
        if executor is None or executor.name != AURORA_EXECUTOR:
            name = executor.name if executor else "none"
            write_json_atomically(os.path.join(meta, "status.json"), {
                "state": "FAILED",
                "message": f"executor {name!r} is not supported by the devcluster; "
                           f"it runs {AURORA_EXECUTOR} tasks only"})
            return None, sandbox
        write_json_atomically(os.path.join(meta, "task.json"), {
            "task_id": task_id, "instance": instance, "hostname": hostname, "ports": ports,
            "user": config.owner.user if config.owner else "",
            "executor_data": executor.data or "{}"})
        with open(os.path.join(meta, "runner.log"), "ab") as log:
            child = subprocess.Popen([sys.executable, "-m", "aurora.devcluster.runner", sandbox],
                                     stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                     start_new_session=True, close_fds=True,
                                     env=dict(os.environ, **{MARKER: task_id}))   # findable
        self.children[task_id] = child
        return child.pid, sandbox

    @staticmethod
    def read_status(sandbox: str | None) -> dict[str, Any]:
        if not sandbox:
            return {}
        try:
            with open(os.path.join(sandbox, ".runner", "status.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def alive(self, task_id: str, pid: int | None, sandbox: str | None) -> bool:
        child = self.children.get(task_id)
        if child is not None:
            return child.poll() is None
        if not pid:
            return False
        try:   # a runner adopted from an earlier scheduler: check it is still ours
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                return (sandbox or "").encode() in f.read()
        except OSError:
            return False

    def observe(self, task_id: str, pid: int | None, sandbox: str | None,
                killing: bool) -> Outcome | None:
        status = self.read_status(sandbox)
        if self.alive(task_id, pid, sandbox):
            if killing and time.monotonic() - self.kill_started.get(task_id, 0) > \
                    KILL_GRACE_SECONDS * 3:
                self.force_kill(pid, status, task_id)
            if not killing and status.get("state") == "RUNNING":
                return Outcome("RUNNING", status.get("message") or "Task is running")
            return None
        self.children.pop(task_id, None)
        self.kill_started.pop(task_id, None)
        for group in status.get("groups", []):   # never leave a process tree behind
            kill_group(group, signal.SIGKILL)
        kill_marked(task_id)
        state = status.get("state")
        if killing:
            return Outcome("KILLED", "Task killed")
        if state == "SUCCESS":
            return Outcome("FINISHED", status.get("message", "Task finished"))
        if state == "FAILED":
            return Outcome("FAILED", status.get("message", "Task failed"),
                           ran=not status.get("never_healthy", False))
        if state == "KILLED":
            return Outcome("KILLED", status.get("message", "Task killed"))
        return Outcome("LOST", "Task's runner exited without reporting a result")

    def kill(self, task_id: str, pid: int | None, sandbox: str | None) -> None:
        if task_id not in self.kill_started:
            self.kill_started[task_id] = time.monotonic()
            if pid and self.alive(task_id, pid, sandbox):
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass

    def force_kill(self, pid: int | None, status: dict[str, Any], task_id: str = "") -> None:
        for group in status.get("groups", []):
            kill_group(group, signal.SIGKILL)
        if pid:
            kill_group(pid, signal.SIGKILL)
        kill_marked(task_id)

    def shutdown(self, tasks: list[tuple[str, int | None, str | None]] = ()) -> None:
        """Stop every runner (a clean devcluster stop), adopted ones included."""
        for task_id, pid, sandbox in tasks:
            self.kill(task_id, pid, sandbox)
        deadline = time.monotonic() + KILL_GRACE_SECONDS * 2
        while time.monotonic() < deadline and any(self.alive(*t) for t in tasks):
            time.sleep(0.05)
        for task_id, pid, sandbox in tasks:
            if self.alive(task_id, pid, sandbox):
                self.force_kill(pid, self.read_status(sandbox), task_id)
            self.force_kill(None, self.read_status(sandbox), task_id)
            child = self.children.pop(task_id, None)
            if child is not None:
                child.wait()

    def remove_sandbox(self, sandbox: str | None) -> None:
        """Remove a task's executor directory (every run of it) under the agent root."""
        if sandbox and sandbox.startswith(self.sandboxes + os.sep):
            run = os.path.dirname(sandbox)                      # .../runs/<run id>
            shutil.rmtree(os.path.dirname(os.path.dirname(run)), ignore_errors=True)


def make_executor(kind: str, state_dir: str) -> ProcessExecutor | SimulatedExecutor:
    return SimulatedExecutor(state_dir) if kind == "simulate" else ProcessExecutor(state_dir)
