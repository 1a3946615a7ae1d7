"""A small Thermos: runs one task's process graph in its sandbox.

The devcluster starts one runner per task (`python -m aurora.devcluster.runner
SANDBOX [--user USER]`). Started by root with `--user`, it first drops to that
user for good (`privileges.become`), so everything from the job, health checks
included, runs unprivileged. It reads `SANDBOX/.runner/task.json` (the executor JSON the client
sent, plus the instance, host, ports and task id), runs the processes as the
Thermos executor would, and keeps `SANDBOX/.runner/status.json` current so the
scheduler can observe it, even a scheduler restarted after a crash.

Semantics kept from Thermos: ordering constraints, per-process `max_failures`
(0 = unlimited) with `min_duration` between runs, `daemon` (rerun on success),
`ephemeral` (not waited for), `final` (run after the others, also on failure
or kill, within `finalization_wait`), task `max_failures` and `max_concurrency`,
and logs in `.logs/<process>/<run>/stdout|stderr`. Every process runs in its
own process group so that a kill reaches its whole tree, and carries the task's
marker variable so that daemons which left the group die with the task
(`reaper.py`). A `.thermos_profile` in the sandbox is sourced before each
process. A task with a health check stays STARTING until the check passes and
fails when it keeps failing (`health.py`).
"""

from __future__ import annotations

# imported now, not when first used: once the runner has dropped to the task's user,
# the installation's files may be out of its reach (a Python under /root, say);
# encodings.idna is what an HTTP health check's host name lookup loads
import encodings.idna  # noqa: F401
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aurora.devcluster.health import HealthMonitor, Policy, make_check
from aurora.devcluster.names import process_name_problem
from aurora.devcluster.privileges import become
from aurora.devcluster.reaper import MARKER, kill_marked

WAITING, RUNNING, SUCCESS, FAILED, KILLED = "WAITING", "RUNNING", "SUCCESS", "FAILED", "KILLED"
STARTING = "STARTING"
PROFILE = ".thermos_profile"
KILL_GRACE_SECONDS = 3.0
EXECUTOR_REF = re.compile(
    r"\{\{\s*(mesos\.instance|mesos\.hostname|thermos\.task_id|thermos\.user"
    r"|thermos\.ports\[([^\]\s]+)\])\s*\}\}")


def substitute(text: str, context: dict[str, Any]) -> str:
    """Fill the executor-side template names the client leaves unbound."""
    def replace(match: re.Match) -> str:
        name, port = match.group(1), match.group(2)
        if port is not None:
            value = context["ports"].get(port)
            return match.group(0) if value is None else str(value)
        return str(context[name])
    return EXECUTOR_REF.sub(replace, text)


def write_json_atomically(path: str, data: Any) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as out:
        json.dump(data, out)
    os.replace(tmp, path)


def kill_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


@dataclass
class Process:
    name: str
    cmdline: str
    max_failures: int = 1
    daemon: bool = False
    ephemeral: bool = False
    min_duration: int = 5
    final: bool = False
    state: str = WAITING
    runs: int = 0
    failures: int = 0
    exit_code: int | None = None
    popen: subprocess.Popen | None = None
    started: float = 0.0
    not_before: float = 0.0
    after: set[str] = field(default_factory=set)

    @classmethod
    def from_json(cls, spec: dict[str, Any], context: dict[str, Any]) -> Process:
        return cls(name=spec["name"], cmdline=substitute(spec.get("cmdline", ""), context),
                   max_failures=int(spec.get("max_failures", 1)),
                   daemon=bool(spec.get("daemon", False)),
                   ephemeral=bool(spec.get("ephemeral", False)),
                   min_duration=int(spec.get("min_duration", 5)),
                   final=bool(spec.get("final", False)))

    def describe(self) -> dict[str, Any]:
        return {"state": self.state, "runs": self.runs, "failures": self.failures,
                "exit_code": self.exit_code,
                "pid": self.popen.pid if self.popen and self.state == RUNNING else None}


class Runner:
    def __init__(self, sandbox: str):
        self.sandbox = sandbox
        self.meta = os.path.join(sandbox, ".runner")
        with open(os.path.join(self.meta, "task.json")) as f:
            spec = json.load(f)
        job = json.loads(spec["executor_data"])
        task = job.get("task", {})
        context = {"mesos.instance": spec["instance"], "mesos.hostname": spec["hostname"],
                   "thermos.task_id": spec["task_id"], "thermos.user": spec.get("user", ""),
                   "ports": spec.get("ports", {})}
        self.processes = {p["name"]: Process.from_json(p, context)
                          for p in task.get("processes", [])}
        for constraint in task.get("constraints", []) or []:
            order = constraint.get("order", []) or []
            for before, later in zip(order, order[1:], strict=False):
                if later in self.processes:
                    self.processes[later].after.add(before)
        self.max_failures = int(task.get("max_failures", 1))
        self.max_concurrency = int(task.get("max_concurrency", 0))
        self.finalization_wait = int(task.get("finalization_wait", 30))
        self.task_id = spec["task_id"]
        self.env = dict(os.environ, MESOS_SANDBOX=sandbox, THERMOS_TASK_ID=spec["task_id"],
                        **{MARKER: spec["task_id"]})
        self.state, self.message = RUNNING, "Task is running"
        self.terminate = False
        self.health_failure: str | None = None
        self.publishing = threading.Lock()
        self.monitor = self.health_monitor(job, spec.get("ports", {}))
        if self.monitor is not None:
            self.state, self.message = STARTING, "Waiting for the health check to pass"

    def health_monitor(self, job: dict[str, Any], ports: dict[str, int]) -> Any:
        check = make_check(job, ports, self.sandbox, self.env)
        if check is None:
            return None
        policy = Policy.from_config(job.get("health_check_config") or {})
        return HealthMonitor(check, policy, self.sandbox, self.on_healthy, self.on_unhealthy)

    def on_healthy(self) -> None:
        if self.state == STARTING:
            self.state, self.message = RUNNING, "Task is running (health check passed)"
            self.publish()

    def on_unhealthy(self, message: str) -> None:
        self.health_failure = message
        self.terminate = True

    # -- status ---------------------------------------------------------------------
    def publish(self) -> None:
        with self.publishing:
            self._publish()

    def _publish(self) -> None:
        write_json_atomically(os.path.join(self.meta, "status.json"), {
            "task_id": self.task_id, "state": self.state, "message": self.message,
            "runner_pid": os.getpid(),
            "never_healthy": self.monitor is not None and not self.monitor.verdict.healthy,
            "processes": {name: p.describe() for name, p in self.processes.items()},
            "groups": [p.popen.pid for p in self.processes.values()
                       if p.popen and p.state == RUNNING]})

    # -- one process ---------------------------------------------------------------
    def start(self, proc: Process) -> None:
        if process_name_problem(proc.name) is not None:     # the sandbox is not trusted
            proc.state, proc.runs = FAILED, proc.runs + 1    # its logs could go anywhere
            return
        logs = os.path.join(self.sandbox, ".logs", proc.name, str(proc.runs))
        os.makedirs(logs, exist_ok=True)
        cmdline = proc.cmdline
        profile = os.path.join(self.sandbox, PROFILE)
        if os.path.exists(profile):
            cmdline = f"source {shlex.quote(profile)} && {cmdline}"
        with open(os.path.join(logs, "stdout"), "wb") as out, \
                open(os.path.join(logs, "stderr"), "wb") as err:
            proc.popen = subprocess.Popen(["bash", "-c", cmdline], cwd=self.sandbox,
                                          stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                          env=self.env, start_new_session=True)
        proc.state, proc.started, proc.exit_code = RUNNING, time.monotonic(), None
        proc.runs += 1

    def reap(self, proc: Process) -> bool:
        """Note a finished run; return True when the process changed state."""
        code = proc.popen.poll() if proc.popen else None
        if code is None:
            return False
        proc.exit_code = code
        kill_group(proc.popen.pid, signal.SIGKILL)   # leftovers of the process's tree
        delay = max(0.0, proc.min_duration - (time.monotonic() - proc.started))
        if code == 0 and not proc.daemon:
            proc.state = SUCCESS
            return True
        if code != 0:
            proc.failures += 1
            if proc.max_failures != 0 and proc.failures >= proc.max_failures:
                proc.state = FAILED
                return True
        proc.state, proc.not_before = WAITING, time.monotonic() + delay
        return True

    def stop_all(self, procs: list[Process]) -> None:
        running = [p for p in procs if p.state == RUNNING]
        for proc in running:
            kill_group(proc.popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + KILL_GRACE_SECONDS
        while any(p.popen.poll() is None for p in running) and time.monotonic() < deadline:
            time.sleep(0.05)
        for proc in running:
            kill_group(proc.popen.pid, signal.SIGKILL)
            proc.popen.wait()
            proc.state, proc.exit_code = KILLED, proc.popen.returncode

    # -- the graph -------------------------------------------------------------------
    def runnable(self, procs: list[Process]) -> list[Process]:
        now = time.monotonic()
        running = sum(1 for p in procs if p.state == RUNNING)
        ready = []
        for proc in procs:
            if proc.state != WAITING or proc.not_before > now:
                continue
            if all(self.processes[b].state == SUCCESS for b in proc.after
                   if b in self.processes):
                ready.append(proc)
        if self.max_concurrency > 0:
            ready = ready[:max(0, self.max_concurrency - running)]
        return ready

    def run_phase(self, procs: list[Process], deadline: float | None = None) -> None:
        """Run `procs` until they are done, the task fails, or a kill arrives."""
        while not self.terminate:
            changed = False
            for proc in procs:
                if proc.state == RUNNING and self.reap(proc):
                    changed = True
            failed = [p for p in procs if p.state == FAILED and not p.final]
            if self.max_failures != 0 and len(failed) >= self.max_failures:
                names = ", ".join(f"'{p.name}'" for p in failed)
                self.state = FAILED
                self.message = f"Task failed: process {names} failed ({self.describe(failed)})"
                break
            for proc in self.runnable(procs):
                self.start(proc)
                changed = True
            if changed:
                self.publish()
            waited_for = [p for p in procs if not p.ephemeral]
            if all(p.state in (SUCCESS, FAILED) for p in waited_for):
                break
            stuck = not any(p.state == RUNNING for p in procs) and not any(
                p.state == WAITING and all(self.processes[b].state == SUCCESS
                                           for b in p.after if b in self.processes)
                for p in procs)
            if stuck:
                self.state, self.message = FAILED, "Task failed: no process can run any more"
                break
            if deadline is not None and time.monotonic() > deadline:
                self.message += " (final processes cut off by finalization_wait)"
                break
            time.sleep(0.05)
        self.stop_all(procs)

    @staticmethod
    def describe(failed: list[Process]) -> str:
        return "; ".join(f"{p.name}: exit {p.exit_code} after {p.runs} run(s)" for p in failed)

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.on_term)
        signal.signal(signal.SIGINT, self.on_term)
        self.publish()
        regular = [p for p in self.processes.values() if not p.final]
        finals = [p for p in self.processes.values() if p.final]
        if self.monitor is not None:
            self.monitor.start()
        self.run_phase(regular)
        if self.monitor is not None:
            self.monitor.stop()
        self.reap_marked()
        if self.health_failure:
            self.state, self.message = FAILED, self.health_failure
        elif self.terminate:
            self.state, self.message = KILLED, "Task killed"
        elif self.state in (RUNNING, STARTING):
            self.state, self.message = SUCCESS, "Task finished successfully"
        self.publish()
        if finals:
            outcome = (self.state, self.message)
            self.terminate = False
            self.state = RUNNING
            self.run_phase(finals, deadline=time.monotonic() + self.finalization_wait)
            self.state, self.message = outcome
            self.reap_marked()
        self.publish()
        return {SUCCESS: 0, FAILED: 1}.get(self.state, 2)

    def reap_marked(self) -> None:
        """Kill what the processes left behind, daemons in their own sessions included."""
        kill_marked(self.task_id, grace=KILL_GRACE_SECONDS)

    def on_term(self, signum: int, frame: Any) -> None:
        self.terminate = True


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (1, 3) or (len(args) == 3 and args[1] != "--user"):
        print("usage: python -m aurora.devcluster.runner SANDBOX [--user USER]", file=sys.stderr)
        return 2
    sandbox = args[0]
    if len(args) == 3:      # started by root: nothing from the job runs before this
        try:
            become(args[2])
        except (OSError, KeyError) as exc:
            print(f"runner: cannot run the task as {args[2]}: {exc}", file=sys.stderr)
            return 2
    os.chdir(sandbox)
    return Runner(sandbox).run()


if __name__ == "__main__":
    sys.exit(main())
