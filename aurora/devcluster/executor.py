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
from aurora.devcluster.privileges import TaskUser, UserPolicy, closed_dir, hand_over
from aurora.devcluster.reaper import MARKER, kill_marked
from aurora.devcluster.runner import KILL_GRACE_SECONDS, kill_group, write_json_atomically
from aurora.devcluster.statusfile import STATUS_LIMIT, checked_status, read_inside

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
               config: Any) -> tuple[int | None, str | None, str]:
        return None, None, ""

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

    def __init__(self, state_dir: str, users: UserPolicy | None = None):
        self.state_dir = state_dir
        self.users = users or UserPolicy()
        self.sandboxes = slave_root(state_dir)
        os.makedirs(self.sandboxes, mode=0o700, exist_ok=True)
        # task output may hold secrets: owner only, or enter-only for tasks of other users
        os.chmod(self.sandboxes, 0o711 if self.users.drops else 0o700)
        self.closed: dict[int, str | None] = {}       # per task uid: a directory it cannot enter
        self.children: dict[str, subprocess.Popen] = {}
        self.kill_started: dict[str, float] = {}

    def launch(self, task_id: str, instance: int, hostname: str, ports: dict[str, int],
               config: Any) -> tuple[int | None, str | None, str]:
        user, runs_as = self.users.user_for(config.job.role)
        sandbox = new_run_sandbox(self.state_dir, hostname, task_id)
        meta = os.path.join(sandbox, ".runner")
        os.makedirs(meta, mode=0o700, exist_ok=True)
        os.chmod(sandbox, 0o700)
        refusal = self.refusal(config, user)
        if refusal:
            write_json_atomically(os.path.join(meta, "status.json"), {
                "task_id": task_id, "state": "FAILED", "message": refusal})
            return None, sandbox, runs_as
        executor = config.executorConfig
        write_json_atomically(os.path.join(meta, "task.json"), {
            "task_id": task_id, "instance": instance, "hostname": hostname, "ports": ports,
            "user": config.owner.user if config.owner else "",
            "executor_data": executor.data or "{}"})
        command = [sys.executable, "-m", "aurora.devcluster.runner", sandbox]
        with open(os.path.join(meta, "runner.log"), "ab") as log:
            if user is not None:
                hand_over(sandbox, self.sandboxes, user)
                command += ["--user", user.name]
            child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                     start_new_session=True, close_fds=True,
                                     env=dict(os.environ, **{MARKER: task_id}))   # findable
        self.children[task_id] = child
        return child.pid, sandbox, runs_as

    def refusal(self, config: Any, user: TaskUser | None) -> str | None:
        """Why this task cannot be run at all, or None."""
        executor = config.executorConfig
        if executor is None or executor.name != AURORA_EXECUTOR:
            name = executor.name if executor else "none"
            return (f"executor {name!r} is not supported by the devcluster; "
                    f"it runs {AURORA_EXECUTOR} tasks only")
        if user is None:
            return None
        if user.uid not in self.closed:
            self.closed[user.uid] = closed_dir(self.sandboxes, user)
        closed = self.closed[user.uid]
        if closed:
            return (f"the task user {user.name} cannot enter {closed}, above its sandbox; "
                    f"let it in (chmod o+x {closed}) or use a --state-dir it can reach")
        return None

    @staticmethod
    def read_status(sandbox: str | None, task_id: str) -> dict[str, Any]:
        """The runner's status file, checked: job code can write it, so trust no field."""
        if not sandbox:
            return {}
        try:
            owner, raw = read_inside(sandbox, (".runner", "status.json"), STATUS_LIMIT)
            data = json.loads(raw)
        except (OSError, ValueError, RecursionError):
            return {}
        return checked_status(data, task_id, owner)

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
        status = self.read_status(sandbox, task_id)
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
                self.force_kill(pid, self.read_status(sandbox, task_id), task_id)
            self.force_kill(None, self.read_status(sandbox, task_id), task_id)
            child = self.children.pop(task_id, None)
            if child is not None:
                child.wait()

    def remove_sandbox(self, sandbox: str | None) -> None:
        """Remove a task's executor directory (every run of it) under the agent root."""
        if sandbox and sandbox.startswith(self.sandboxes + os.sep):
            run = os.path.dirname(sandbox)                      # .../runs/<run id>
            shutil.rmtree(os.path.dirname(os.path.dirname(run)), ignore_errors=True)


def make_executor(kind: str, state_dir: str,
                  users: UserPolicy | None = None) -> ProcessExecutor | SimulatedExecutor:
    if kind == "simulate":
        return SimulatedExecutor(state_dir)
    return ProcessExecutor(state_dir, users)
