"""The devcluster's task state machine and scheduling loop.

Every state change goes through `transition`, which records a task event and,
when a task ends, decides what replaces it, as the real scheduler does:
services are rescheduled whenever they end (throttled when they flap), LOST
tasks are always rescheduled, failed batch tasks until `maxTaskFailures`, and
a RESTARTING task is replaced once it is dead.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import uuid
from typing import Any

from aurora.api.idl import api
from aurora.devcluster.executor import ProcessExecutor, SimulatedExecutor
from aurora.devcluster.store import Store, now_ms

log = logging.getLogger("aurora.devcluster")

FLAP_SECONDS = 10          # a service that ran less than this is throttled when it ends
THROTTLE_FIRST_MS = 5_000
THROTTLE_MAX_MS = 60_000


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now: what an agent would offer a task."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def status_value(name: str) -> int:
    return getattr(api().ScheduleStatus, name)


def terminal_states() -> set[int]:
    s = api().ScheduleStatus
    return {s.FINISHED, s.FAILED, s.KILLED, s.LOST}


def new_task_id(role: str, env: str, name: str, instance: int, at: int) -> str:
    """A task id that starts with `at`, the time of the task's first event."""
    return f"{at}-{role}-{env}-{name}-{instance}-{uuid.uuid4()}"


class Engine:
    def __init__(self, store: Store, executor: ProcessExecutor | SimulatedExecutor,
                 hostname: str = "localhost", tick_seconds: float = 0.2,
                 cron_clock_speed: float = 1.0):
        from aurora.devcluster.cron import CronClock, CronRunner
        from aurora.devcluster.updates import UpdateEngine

        self.store = store
        self.cron = CronRunner(self, CronClock(cron_clock_speed))
        self.updates = UpdateEngine(self)
        self.executor = executor
        self.hostname = hostname
        self.tick_seconds = tick_seconds
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.started = False

    # -- creating and changing tasks (called inside an RPC's transaction) ---------
    def create_tasks(self, config: Any, instances: list[int], message: str = "Task created",
                     ancestor: str | None = None, failure_count: int = 0) -> list[str]:
        digest = self.store.put_config(config)
        key = config.job
        at = now_ms()       # one clock reading: the ids and the first events agree
        prefix = f"{at}-{key.role}-{key.environment}-{key.name}"
        unique = str(uuid.uuid4())    # one per batch: the instance keeps the ids apart
        ids = [f"{prefix}-{instance}-{unique}" for instance in instances]
        self.store.add_tasks(ids, key, instances, digest, failure_count, ancestor, message, at)
        self._wake.set()
        return ids

    def transition(self, row: Any, new_status: int, message: str, **fields: Any) -> None:
        self.store.set_status(row["task_id"], new_status, message, **fields)
        if new_status in terminal_states():
            self._replace_if_needed(row, new_status)

    def kill(self, rows: list[Any], message: str) -> None:
        s = api().ScheduleStatus
        waiting = [r["task_id"] for r in rows if r["status"] in (s.PENDING, s.THROTTLED)]
        placed = [r["task_id"] for r in rows
                  if r["status"] not in (s.PENDING, s.THROTTLED, s.KILLING)]
        self.store.set_status_many(waiting + placed, s.KILLING, message)
        self.store.set_status_many(waiting, s.KILLED, "Task killed before it started")
        self._wake.set()

    def restart(self, rows: list[Any]) -> None:
        s = api().ScheduleStatus
        for row in rows:
            if row["status"] in (s.PENDING, s.THROTTLED):
                self.store.set_status(row["task_id"], s.RESTARTING, "Restarting by request")
                self.transition(dict(row, status=s.RESTARTING), s.KILLED,
                                "Task killed before it started")
            elif row["status"] not in (s.KILLING, s.RESTARTING):
                self.store.set_status(row["task_id"], s.RESTARTING, "Restarting by request")
        self._wake.set()

    def _replace_if_needed(self, row: Any, new_status: int) -> None:
        s = api().ScheduleStatus
        config = self.store.config(row["config_hash"])
        failures = row["failure_count"]
        if new_status == s.FAILED:
            failures += 1
            self.store.db.execute("UPDATE tasks SET failure_count = ? WHERE task_id = ?",
                                  (failures, row["task_id"]))
        if new_status == s.KILLED:
            if row["status"] != s.RESTARTING:
                return
            reason = "Restarted by request"
        elif new_status == s.LOST:
            reason = "Rescheduled: the previous task was lost"
        elif config.isService:
            reason = "Rescheduled: the previous task of this service ended"
        elif new_status == s.FAILED and (config.maxTaskFailures == -1
                                         or failures < (config.maxTaskFailures or 1)):
            reason = f"Rescheduled after failure {failures} of {config.maxTaskFailures}"
        else:
            return
        status, ready_at, at = s.PENDING, 0, now_ms()
        if config.isService and new_status in (s.FINISHED, s.FAILED) and self._flapped(row):
            earlier = failures - 1 if new_status == s.FAILED else failures   # not this one
            delay = min(THROTTLE_FIRST_MS * 2 ** min(earlier, 4), THROTTLE_MAX_MS)
            status, ready_at = s.THROTTLED, at + delay
            reason += f" (it ran less than {FLAP_SECONDS}s: held back {delay // 1000}s)"
        task_id = new_task_id(row["role"], row["env"], row["name"], row["instance"], at)
        key = api().JobKey(role=row["role"], environment=row["env"], name=row["name"])
        self.store.add_task(task_id, key, row["instance"], row["config_hash"], failures,
                            row["task_id"], reason, status=status, ready_at=ready_at, at=at)

    def _flapped(self, row: Any) -> bool:
        running = api().ScheduleStatus.RUNNING
        events = self.store.events([row["task_id"]])[row["task_id"]]
        started = [ts for ts, status, _ in events if status == running]
        return not started or now_ms() - started[-1] < FLAP_SECONDS * 1000

    # -- the loop -------------------------------------------------------------------
    def step(self) -> None:
        with self.store.transaction():
            s = api().ScheduleStatus
            for row in self.store.tasks("status = ? AND ready_at <= ?", (s.THROTTLED, now_ms())):
                self.transition(row, s.PENDING, "Rescheduling delay is over")
            self.cron.step()
            if self.updates.step():
                self._wake.set()     # an update moved: look again at once
            if self.executor.simulated:
                self._step_simulated()
            else:
                self._step_processes()

    def _step_simulated(self) -> None:
        """Kills first, so that a restarted task's replacement runs in the same step."""
        s = api().ScheduleStatus
        self.store.move_all(s.KILLING, s.KILLED, "Task killed")
        for row in self.store.tasks("status = ?", (s.RESTARTING,)):
            self.transition(row, s.KILLED, "Task killed for restart")
        self.store.move_all(s.PENDING, s.ASSIGNED, f"Assigned to {self.hostname} (simulated)")
        self.store.move_all(s.ASSIGNED, s.STARTING, "Initializing sandbox (simulated)")
        self.store.move_all(s.STARTING, s.RUNNING, "Task is running (simulated)")

    def _step_processes(self) -> None:
        s = api().ScheduleStatus
        for row in self.store.tasks("status = ?", (s.PENDING,)):
            config = self.store.config(row["config_hash"])
            ports = {r.namedPort: free_port() for r in config.resources or [] if r.namedPort}
            self.transition(row, s.ASSIGNED, f"Assigned to {self.hostname}",
                            host=self.hostname, ports=json.dumps(ports))
            pid, sandbox, runs_as = self.executor.launch(row["task_id"], row["instance"],
                                                         self.hostname, ports, config)
            self.transition(row, s.STARTING, f"Initializing sandbox ({runs_as})" if runs_as
                            else "Initializing sandbox", pid=pid, sandbox=sandbox)
        watched = (s.STARTING, s.RUNNING, s.KILLING, s.RESTARTING)
        marks = ",".join("?" * len(watched))
        for row in self.store.tasks(f"status IN ({marks})", watched):
            killing = row["status"] in (s.KILLING, s.RESTARTING)
            if killing:
                self.executor.kill(row["task_id"], row["pid"], row["sandbox"])
            outcome = self.executor.observe(row["task_id"], row["pid"], row["sandbox"], killing)
            if outcome is None:
                continue
            new_status = status_value(outcome.status)
            if new_status == row["status"]:
                continue
            if row["status"] == s.STARTING and new_status != s.RUNNING and outcome.ran:
                self.store.set_status(row["task_id"], s.RUNNING, "Task is running")
            self.transition(row, new_status, outcome.message)

    def recover(self) -> None:
        """After a restart: tasks assigned but never launched are lost (and rescheduled)."""
        with self.store.transaction():
            s = api().ScheduleStatus
            for row in self.store.tasks("status = ?", (s.ASSIGNED,)):
                self.transition(row, s.LOST, "Task lost: the devcluster stopped before it "
                                             "started")

    def run_forever(self) -> None:
        while not self._stopping.is_set():
            try:
                self.step()
            except Exception:   # keep scheduling; the log has the details
                log.exception("scheduling step failed")
            self._wake.wait(self.tick_seconds)
            self._wake.clear()

    def start(self) -> None:
        self.started = True
        self.recover()
        self._thread = threading.Thread(target=self.run_forever, name="engine", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Stop scheduling, kill the tasks' processes, and record them as lost."""
        if not self.started:        # a standby never touches the tasks
            return
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        if self.executor.simulated:
            return
        s = api().ScheduleStatus
        with self.store.transaction():
            live = self.store.tasks("pid IS NOT NULL AND status IN (?, ?, ?, ?)",
                                    (s.STARTING, s.RUNNING, s.KILLING, s.RESTARTING))
        self.executor.shutdown([(r["task_id"], r["pid"], r["sandbox"]) for r in live])
        with self.store.transaction():
            for row in live:
                if row["status"] in (s.KILLING, s.RESTARTING):
                    self.transition(row, s.KILLED, "Task killed")
                else:
                    self.transition(row, s.LOST, "Task lost: the devcluster was stopped")
