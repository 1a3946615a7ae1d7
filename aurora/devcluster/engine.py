"""The devcluster's task state machine and scheduling loop.

Every state change goes through `transition`, which records a task event and,
when a task ends, decides what replaces it, as the real scheduler does:
services are rescheduled whenever they end, LOST tasks are always rescheduled,
failed batch tasks until `maxTaskFailures`, and a RESTARTING task is replaced
once it is dead; a replacement of a task that flapped waits THROTTLED
(`backoff.py`).

One job can never stop the others: each cron job, each launch and each
observed task is a step of its own (a savepoint). A step that fails is rolled
back, logged once per job and distinct error, and a task that could not be
launched FAILS with the reason in its event. Each instance keeps the
sandboxes of its last `KEEP_SANDBOXES` ended tasks.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import uuid
from collections.abc import Callable
from typing import Any

from aurora.api.idl import api
from aurora.devcluster.backoff import FLAP_SECONDS, penalty_ms
from aurora.devcluster.executor import ProcessExecutor, SimulatedExecutor
from aurora.devcluster.placement import Host, Offer
from aurora.devcluster.reaper import kill_marked
from aurora.devcluster.store import Store, now_ms
from aurora.devcluster.taskcheck import CannotRun, never_runs

log = logging.getLogger("aurora.devcluster")

KEEP_SANDBOXES = 5         # ended tasks per instance whose sandboxes are kept
# NAME_MAX: the sandbox's `thermos-<task id>` directory is one path component.
MAX_TASK_ID = 255 - len("thermos-")


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


def new_task_id(role: str, env: str, name: str, instance: int, at: int,
                unique: str | None = None) -> str:
    """A task id that starts with `at`, the time of the task's first event, and fits in
    one path component: a long job key is cut short (the uuid keeps ids apart)."""
    unique = unique or str(uuid.uuid4())
    tail = f"-{instance}-{unique}"
    job = f"{at}-{role}-{env}-{name}"[:MAX_TASK_ID - len(tail)]
    return job + tail


def job_of(row: Any) -> str:
    """`role/env/name` of a task row, as logs name a job."""
    return f"{row['role']}/{row['env']}/{row['name']}"


def describe(exc: BaseException) -> str:
    """An exception in one line: its type and its message, cut short."""
    text = " ".join(str(exc).split())[:300] or "no message"
    return text if isinstance(exc, CannotRun) else f"{type(exc).__name__}: {text}"


class Engine:
    def __init__(self, store: Store, executor: ProcessExecutor | SimulatedExecutor,
                 hostname: str = "localhost", tick_seconds: float = 0.2,
                 cron_clock_speed: float = 1.0, host: Host | None = None):
        from aurora.devcluster.cron import CronClock, CronRunner
        from aurora.devcluster.updates import UpdateEngine

        self.store = store
        self.cron = CronRunner(self, CronClock(cron_clock_speed))
        self.updates = UpdateEngine(self)
        self.executor = executor
        self.hostname = hostname
        self.host = host or Host(hostname, {"host": frozenset({hostname})})
        # Why each task config's pending tasks were not placed at the last step (the
        # scheduler's "nearest fit", by task config), for getPendingReason; the
        # version changes with it, so that no cached reply outlives it.
        self.pending_reasons: dict[str, str] = {}
        self.reasons_version = 0
        self.tick_seconds = tick_seconds
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._reported: set[tuple[str, ...]] = set()
        self.started = False

    # -- creating and changing tasks (called inside an RPC's transaction) ---------
    def create_tasks(self, config: Any, instances: list[int], message: str = "Task created",
                     ancestor: str | None = None, failure_count: int = 0) -> list[str]:
        digest = self.store.put_config(config)
        key = config.job
        at = now_ms()       # one clock reading: the ids and the first events agree
        unique = str(uuid.uuid4())    # one per batch: the instance keeps the ids apart
        ids = [new_task_id(key.role, key.environment, key.name, instance, at, unique)
               for instance in instances]
        self.store.add_tasks(ids, key, instances, digest, failure_count, ancestor, message, at)
        self._wake.set()
        return ids

    def transition(self, row: Any, new_status: int, message: str, *, throttle: bool = True,
                   **fields: Any) -> None:
        """Move a task; when it ends, replace it if it should be (`throttle`: False when
        the devcluster itself ended it, e.g. at a stop, which is not the task's fault)."""
        self.store.set_status(row["task_id"], new_status, message, **fields)
        if new_status in terminal_states():
            self._replace_if_needed(row, new_status, throttle)

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

    def _replace_if_needed(self, row: Any, new_status: int, throttle: bool = True) -> None:
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
        delay = penalty_ms(self.store, row["task_id"]) if throttle else 0
        if delay:
            status, ready_at = s.THROTTLED, at + delay
            reason += f" (it ran less than {FLAP_SECONDS}s: held back {delay // 1000}s)"
        task_id = new_task_id(row["role"], row["env"], row["name"], row["instance"], at)
        key = api().JobKey(role=row["role"], environment=row["env"], name=row["name"])
        self.store.add_task(task_id, key, row["instance"], row["config_hash"], failures,
                            row["task_id"], reason, status=status, ready_at=ready_at, at=at)

    # -- the loop -------------------------------------------------------------------
    def step(self) -> None:
        """One scheduling step. Runners start only after the step that assigned their
        tasks has committed: a crash can never leave a runner for a task the store
        does not hold as assigned (`recover` deals with those it does)."""
        assigned: list[tuple[Any, Any, dict[str, int]]] = []
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
                assigned = self._step_processes()
        for row, config, ports in assigned:
            self._launch(row, config, ports)

    def _step_simulated(self) -> None:
        """Kills first, so that a restarted task's replacement runs in the same step."""
        s = api().ScheduleStatus
        self.store.move_all(s.KILLING, s.KILLED, "Task killed")
        for row in self.store.tasks("status = ?", (s.RESTARTING,)):
            self.transition(row, s.KILLED, "Task killed for restart")
        placed = self._place(self.store.tasks("status = ?", (s.PENDING,),
                                              columns="task_id, role, env, name, config_hash",
                                              named=True))
        self.store.set_status_many([row["task_id"] for row in placed], s.ASSIGNED,
                                   f"Assigned to {self.hostname} (simulated)")
        self.store.move_all(s.ASSIGNED, s.STARTING, "Initializing sandbox (simulated)")
        self.store.move_all(s.STARTING, s.RUNNING, "Task is running (simulated)")

    def _step_processes(self) -> list[tuple[Any, Any, dict[str, int]]]:
        """Assign pending tasks (launched once this step commits) and observe the rest."""
        s = api().ScheduleStatus
        assigned = []
        for row in self._place(self.store.tasks("status = ?", (s.PENDING,))):
            failure = self.attempt(job_of(row), "assigning a task",
                                   lambda r=row: assigned.append(self._assign(r)))
            if failure is not None:
                self._fail_launch(row, failure)
        watched = (s.STARTING, s.RUNNING, s.KILLING, s.RESTARTING)
        marks = ",".join("?" * len(watched))
        for row in self.store.tasks(f"status IN ({marks})", watched):
            self.attempt(job_of(row), "observing a task", lambda r=row: self._observe(r))
        return assigned

    def _place(self, rows: Any) -> list[Any]:
        """The pending `rows` the host's offer takes, in order; the others stay PENDING
        and their configs' vetoes become the pending reasons. Once a task config is
        vetoed its other tasks are too this step (the offer only shrinks). The offer is
        worked out only when a task is pending: an idle step costs no query."""
        reasons: dict[str, str] = {}
        placed: list[Any] = []
        if not rows:
            self._set_reasons(reasons)
            return placed
        offer = Offer(self.host, self.store)
        for row in rows:
            digest = row["config_hash"]
            if digest in reasons:
                continue
            job = (row["role"], row["env"], row["name"])
            config = self.store.config(digest)
            vetoes = offer.vetoes(job, config)
            if vetoes:
                reasons[digest] = ",".join(vetoes)
                continue
            offer.take(job, config)
            placed.append(row)
        self._set_reasons(reasons)
        return placed

    def _set_reasons(self, reasons: dict[str, str]) -> None:
        if reasons != self.pending_reasons:
            self.pending_reasons = reasons
            self.reasons_version += 1

    def _fail_launch(self, row: Any, failure: BaseException) -> None:
        s = api().ScheduleStatus
        reason = f"Task could not be launched: {describe(failure)}"
        self.attempt(job_of(row), "failing a task",
                     lambda: self.transition(row, s.FAILED, reason))

    def _assign(self, row: Any) -> tuple[Any, Any, dict[str, int]]:
        """PENDING -> ASSIGNED with its ports, inside the step's transaction."""
        s = api().ScheduleStatus
        config = self.store.config(row["config_hash"])
        problem = never_runs(config)
        if problem:
            raise CannotRun(problem)
        ports = {r.namedPort: free_port() for r in config.resources or [] if r.namedPort}
        self.transition(row, s.ASSIGNED, f"Assigned to {self.hostname}",
                        host=self.hostname, ports=json.dumps(ports))
        return dict(row, status=s.ASSIGNED), config, ports

    def _launch(self, row: Any, config: Any, ports: dict[str, int]) -> None:
        """Start the runner of a committed ASSIGNED task, then record it (STARTING) in a
        transaction of its own. A kill that came in between keeps its KILLING: the
        runner is recorded and the next step stops it."""
        s = api().ScheduleStatus
        try:
            pid, sandbox, runs_as = self.executor.launch(row["task_id"], row["instance"],
                                                         self.hostname, ports, config)
        except Exception as exc:  # noqa: BLE001 - this task's failure, not the loop's
            with self.store.transaction():
                self._fail_launch(row, exc)
            return
        with self.store.transaction():
            now = self.store.db.execute("SELECT status FROM tasks WHERE task_id = ?",
                                        (row["task_id"],)).fetchone()
            if now is not None and now[0] == s.ASSIGNED:
                self.transition(row, s.STARTING, f"Initializing sandbox ({runs_as})"
                                if runs_as else "Initializing sandbox", pid=pid, sandbox=sandbox)
            else:
                self.store.db.execute("UPDATE tasks SET pid = ?, sandbox = ? WHERE task_id = ?",
                                      (pid, sandbox, row["task_id"]))

    def _observe(self, row: Any) -> None:
        s = api().ScheduleStatus
        killing = row["status"] in (s.KILLING, s.RESTARTING)
        if killing:
            self.executor.kill(row["task_id"], row["pid"], row["sandbox"])
        outcome = self.executor.observe(row["task_id"], row["pid"], row["sandbox"], killing)
        if outcome is None:
            return
        new_status = status_value(outcome.status)
        if new_status == row["status"]:
            return
        if row["status"] == s.STARTING and new_status != s.RUNNING and outcome.ran:
            self.store.set_status(row["task_id"], s.RUNNING, "Task is running")
        self.transition(row, new_status, outcome.message)
        if new_status in terminal_states():
            self._prune_sandboxes(row)

    def _prune_sandboxes(self, row: Any) -> None:
        """Keep the sandboxes of the instance's last KEEP_SANDBOXES ended tasks only."""
        ended = sorted(terminal_states())
        old = self.store.db.execute(
            "SELECT task_id, sandbox FROM tasks WHERE role = ? AND env = ? AND name = ? AND "
            f"instance = ? AND sandbox IS NOT NULL AND status IN ({','.join('?' * len(ended))})"
            " ORDER BY rowid DESC LIMIT -1 OFFSET ?",
            (row["role"], row["env"], row["name"], row["instance"], *ended,
             KEEP_SANDBOXES)).fetchall()
        for task_id, sandbox in old:
            self.executor.remove_sandbox(sandbox)
            self.store.db.execute("UPDATE tasks SET sandbox = NULL WHERE task_id = ?",
                                  (task_id,))

    def attempt(self, job: str, what: str, action: Callable[[], Any]) -> Exception | None:
        """Run one job's part of a step in a savepoint: a failure rolls back that part
        only, is reported (once), and is returned; the other jobs' parts go on."""
        db = self.store.db
        db.execute("SAVEPOINT one_job")
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - one job's failure, reported and returned
            db.execute("ROLLBACK TO one_job")
            db.execute("RELEASE one_job")
            self.store.forget_cached_configs()    # some may have been rolled back
            self.report(job, what, exc)
            return exc
        db.execute("RELEASE one_job")
        return None

    def report(self, job: str, what: str, exc: BaseException) -> None:
        """Log a failure once per job, step and distinct error: not once per loop."""
        seen = (job, what, type(exc).__name__, getattr(exc, "strerror", None) or str(exc))
        if seen in self._reported:
            return
        if len(self._reported) >= 10_000:
            self._reported.clear()
        self._reported.add(seen)
        log.error("%s: %s failed: %s (logged once)", job, what, describe(exc))
        log.debug("%s: %s failed", job, what, exc_info=exc)

    def recover(self) -> None:
        """After a restart: a task still ASSIGNED stopped between its assignment and
        the record of its runner. A runner may have started for it: it is killed (found
        by the task's marker), and the task is lost and replaced, so no task runs twice."""
        with self.store.transaction():
            s = api().ScheduleStatus
            for row in self.store.tasks("status = ?", (s.ASSIGNED,)):
                if not self.executor.simulated:
                    kill_marked(row["task_id"])
                self.transition(row, s.LOST, "Task lost: the devcluster stopped before it "
                                             "started", throttle=False)

    def run_forever(self) -> None:
        while not self._stopping.is_set():
            try:
                self.step()
            except Exception as exc:   # keep scheduling; logged once, not every loop
                self.report("devcluster", "scheduling step", exc)
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
                    self.transition(row, s.LOST, "Task lost: the devcluster was stopped",
                                    throttle=False)
