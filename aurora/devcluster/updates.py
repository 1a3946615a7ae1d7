"""The devcluster's job-update engine: rolls a job's instances to a new config.

An update is a work list of instances, each with the config it had (`old_hash`)
and the config it should get (`new_hash`; NULL means "no task"). The engine's
loop calls `UpdateEngine.step()` inside its transaction: for every rolling
update it checks the instances in flight, starts the next ones as the update
strategy allows, and records every change as update events and instance
events. Everything lives in SQLite, so a devcluster killed mid-update picks up
where it was. Rolling back walks the touched instances in reverse order
towards their old configs.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from aurora.api.idl import api, deserialize, serialize
from aurora.devcluster.store import Store, now_ms

log = logging.getLogger("aurora.devcluster")


def statuses() -> Any:
    return api().JobUpdateStatus


def active_states() -> set[int]:
    return set(api().ACTIVE_JOB_UPDATE_STATES)


def forward_states() -> set[int]:
    s = statuses()
    return {s.ROLLING_FORWARD, s.ROLL_FORWARD_PAUSED, s.ROLL_FORWARD_AWAITING_PULSE}


def paused_of(status: int) -> int:
    s = statuses()
    return s.ROLL_FORWARD_PAUSED if status in forward_states() else s.ROLL_BACK_PAUSED


def rolling_of(status: int) -> int:
    s = statuses()
    return s.ROLLING_FORWARD if status in forward_states() else s.ROLLING_BACK


def awaiting_pulse_of(status: int) -> int:
    s = statuses()
    return (s.ROLL_FORWARD_AWAITING_PULSE if status in forward_states()
            else s.ROLL_BACK_AWAITING_PULSE)


@dataclass
class Update:
    """One row of `job_updates`, with its instructions decoded."""
    id: str
    role: str
    env: str
    name: str
    user: str | None
    status: int
    created_ms: int
    modified_ms: int
    metadata: Any
    instructions: Any
    new_hash: str
    batch: int
    last_pulse_ms: int

    COLUMNS = ("id, role, env, name, user, status, created_ms, modified_ms, metadata, "
               "instructions, new_hash, batch, last_pulse_ms")

    @classmethod
    def from_row(cls, row: tuple) -> Update:
        values = list(row)
        values[8] = json.loads(values[8])
        values[9] = deserialize(api().JobUpdateInstructions, values[9])
        return cls(*values)

    @property
    def settings(self) -> Any:
        return self.instructions.settings

    @property
    def job_key(self) -> Any:
        return api().JobKey(role=self.role, environment=self.env, name=self.name)

    @property
    def forward(self) -> bool:
        return self.status in forward_states()


# -- the store side ---------------------------------------------------------------------
def load_update(store: Store, update_id: str) -> Update | None:
    row = store.db.execute(f"SELECT {Update.COLUMNS} FROM job_updates WHERE id = ?",
                           (update_id,)).fetchone()
    return Update.from_row(row) if row else None


def active_update(store: Store, key: Any) -> Update | None:
    active = sorted(active_states())
    row = store.db.execute(
        f"SELECT {Update.COLUMNS} FROM job_updates WHERE role = ? AND env = ? AND name = ? "
        f"AND status IN ({','.join('?' * len(active))}) ORDER BY created_ms DESC LIMIT 1",
        (key.role, key.environment, key.name, *active)).fetchone()
    return Update.from_row(row) if row else None


def record_status(store: Store, update_id: str, status: int, user: str | None,
                  message: str | None) -> None:
    ts = now_ms()
    store.db.execute("UPDATE job_updates SET status = ?, modified_ms = ? WHERE id = ?",
                     (status, ts, update_id))
    store.db.execute("INSERT INTO job_update_events VALUES (?, ?, ?, ?, ?)",
                     (update_id, ts, status, user, message))


def record_instance(store: Store, update_id: str, instance: int, action: int,
                    message: str | None = None) -> None:
    ts = now_ms()
    store.db.execute("INSERT INTO job_instance_events VALUES (?, ?, ?, ?, ?)",
                     (update_id, instance, ts, action, message))
    store.db.execute("UPDATE job_updates SET modified_ms = ? WHERE id = ?", (ts, update_id))


def create_update(store: Store, key: Any, user: str | None, instructions: Any, new_hash: str,
                  metadata: Any, work: list[tuple[int, str | None, str | None]],
                  message: str | None) -> str:
    """Store a new update and its work list; return its id."""
    s = statuses()
    update_id = str(uuid.uuid4())
    pulsed = bool(instructions.settings.blockIfNoPulsesAfterMs)
    status = s.ROLL_FORWARD_AWAITING_PULSE if pulsed else s.ROLLING_FORWARD
    meta = None if metadata is None else sorted([m.key, m.value] for m in metadata)
    ts = now_ms()
    store.db.execute(
        "INSERT INTO job_updates (id, role, env, name, user, status, created_ms, modified_ms, "
        "metadata, instructions, new_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (update_id, key.role, key.environment, key.name, user, status, ts, ts,
         json.dumps(meta), serialize(instructions), new_hash))
    store.db.executemany(
        "INSERT INTO job_update_instances (id, instance, old_hash, new_hash, phase) "
        "VALUES (?, ?, ?, ?, 'todo')", [(update_id, i, old, new) for i, old, new in work])
    store.db.execute("INSERT INTO job_update_events VALUES (?, ?, ?, ?, ?)",
                     (update_id, ts, status, user, message))
    return update_id


# -- the engine side --------------------------------------------------------------------
@dataclass
class Work:
    """One instance of an update's work list."""
    instance: int
    old_hash: str | None
    new_hash: str | None
    phase: str
    seq: int | None
    task_floor: int

    def target(self, forward: bool) -> str | None:
        return self.new_hash if forward else self.old_hash


class UpdateEngine:
    """Advances every rolling update by one step; called by the engine's loop."""

    def __init__(self, engine: Any):
        self.engine = engine
        self.store: Store = engine.store

    def step(self) -> bool:
        """Advance all active updates; True when something changed."""
        active = sorted(active_states())
        rows = self.store.db.execute(
            f"SELECT {Update.COLUMNS} FROM job_updates WHERE status IN "
            f"({','.join('?' * len(active))})", active).fetchall()
        changed = False
        for row in rows:
            update = Update.from_row(row)
            self.store.db.execute("SAVEPOINT update_step")
            try:
                changed = self.advance(update) or changed
                self.store.db.execute("RELEASE update_step")
            except Exception:   # one broken update must not stop the others
                log.exception("update %s could not advance", update.id)
                self.store.db.execute("ROLLBACK TO update_step")
                self.store.db.execute("RELEASE update_step")
                record_status(self.store, update.id, statuses().ERROR, None,
                              "The devcluster's update engine failed on this update")
        return changed

    def advance(self, update: Update) -> bool:
        s = statuses()
        if update.status in (s.ROLLING_FORWARD, s.ROLLING_BACK) and self.pulse_expired(update):
            record_status(self.store, update.id, awaiting_pulse_of(update.status), None,
                          "No pulse received in time")
            return True
        if update.status not in (s.ROLLING_FORWARD, s.ROLLING_BACK):
            return False
        work = self.work(update.id, ("todo", "active"))
        if not update.forward:      # rolling back goes newest first
            work.sort(key=lambda w: -(w.seq or 0))
        current = self.current_tasks(update)
        finished = sum(self.check(update, w, current.get(w.instance, []))
                       for w in work if w.phase == "active")
        failed = self.count(update.id, "failed")
        if failed > (update.settings.maxFailedInstances or 0):
            self.fail(update, failed)
            return True
        remaining = self.work(update.id, ("todo", "active"))
        if not remaining:
            done = s.ROLLED_FORWARD if update.forward else s.ROLLED_BACK
            record_status(self.store, update.id, done, None, None)
            return True
        in_flight = [w for w in remaining if w.phase == "active"]
        if finished and not in_flight and self.autopause(update):
            record_status(self.store, update.id, paused_of(update.status), None,
                          "Paused after a batch (autopause)")
            return True
        started = self.start_next(update, remaining, in_flight, current)
        return bool(finished or started)

    def pulse_expired(self, update: Update) -> bool:
        block = update.settings.blockIfNoPulsesAfterMs
        return bool(block) and now_ms() - update.last_pulse_ms > block

    # -- reading the work list and the job's tasks ---------------------------------
    def work(self, update_id: str, phases: tuple[str, ...]) -> list[Work]:
        rows = self.store.db.execute(
            "SELECT instance, old_hash, new_hash, phase, seq, task_floor FROM "
            f"job_update_instances WHERE id = ? AND phase IN ({','.join('?' * len(phases))}) "
            "ORDER BY instance", (update_id, *phases)).fetchall()
        return [Work(*row) for row in rows]

    def count(self, update_id: str, phase: str) -> int:
        return self.store.db.execute("SELECT COUNT(*) FROM job_update_instances WHERE id = ? "
                                     "AND phase = ?", (update_id, phase)).fetchone()[0]

    def current_tasks(self, update: Update) -> dict[int, list[Any]]:
        by_instance: dict[int, list[Any]] = {}
        for row in self.store.active_tasks(update.job_key):
            by_instance.setdefault(row["instance"], []).append(row)
        return by_instance

    def set_phase(self, update_id: str, work: Work, phase: str, **fields: Any) -> None:
        assignments = ", ".join(["phase = ?"] + [f"{k} = ?" for k in fields])
        self.store.db.execute(f"UPDATE job_update_instances SET {assignments} WHERE id = ? "
                              "AND instance = ?", (phase, *fields.values(), update_id,
                                                   work.instance))
        work.phase = phase

    # -- one instance ---------------------------------------------------------------
    def check(self, update: Update, work: Work, tasks: list[Any]) -> bool:
        """Move one in-flight instance on; True when it finished (done or failed)."""
        a = api()
        forward = update.forward
        target = work.target(forward)
        stale = [t for t in tasks if t["config_hash"] != target]
        if self.failures(update, work, target) > (update.settings.maxPerInstanceFailures or 0):
            action = (a.JobUpdateAction.INSTANCE_UPDATE_FAILED if forward
                      else a.JobUpdateAction.INSTANCE_ROLLBACK_FAILED)
            self.set_phase(update.id, work, "failed")
            record_instance(self.store, update.id, work.instance, action)
            return True
        if stale:
            live = [t for t in stale if t["status"] != a.ScheduleStatus.KILLING]
            if live:
                self.engine.kill(live, f"Killed for job update {update.id}")
            return False
        fresh = [t for t in tasks if t["config_hash"] == target]
        if target is not None and not fresh:
            self.engine.create_tasks(self.store.config(target), [work.instance],
                                     message=f"Task created by job update {update.id}")
            return False
        if target is not None and not self.settled(update, fresh[-1]):
            return False
        action = (a.JobUpdateAction.INSTANCE_UPDATED if forward
                  else a.JobUpdateAction.INSTANCE_ROLLED_BACK)
        self.set_phase(update.id, work, "done")
        record_instance(self.store, update.id, work.instance, action)
        return True

    def failures(self, update: Update, work: Work, target: str | None) -> int:
        """Tasks of the target config that ended badly since this instance's action began."""
        if target is None:
            return 0
        s = api().ScheduleStatus
        return self.store.db.execute(
            "SELECT COUNT(*) FROM tasks WHERE role = ? AND env = ? AND name = ? AND "
            "instance = ? AND config_hash = ? AND rowid > ? AND status IN (?, ?, ?)",
            (update.role, update.env, update.name, work.instance, target, work.task_floor,
             s.FAILED, s.LOST, s.FINISHED)).fetchone()[0]

    def settled(self, update: Update, task: Any) -> bool:
        """Has the task been RUNNING for the update's minimum wait?"""
        running = api().ScheduleStatus.RUNNING
        if task["status"] != running:
            return False
        wait = update.settings.minWaitInInstanceRunningMs or 0
        if wait <= 0:
            return True
        since = self.store.db.execute(
            "SELECT MAX(ts) FROM task_events WHERE task_id = ? AND status = ?",
            (task["task_id"], running)).fetchone()[0]
        return since is not None and now_ms() - since >= wait

    # -- batches --------------------------------------------------------------------
    def capacity(self, update: Update, in_flight: int) -> int:
        """How many instances may start now under the update's strategy."""
        settings = update.settings
        group = max(1, settings.updateGroupSize or 1)
        strategy = settings.updateStrategy
        if strategy is not None and strategy.queueStrategy is not None:
            return max(0, (strategy.queueStrategy.groupSize or group) - in_flight)
        if in_flight:
            if strategy is None and not settings.waitForBatchCompletion:
                return max(0, group - in_flight)
            return 0
        if strategy is not None and strategy.varBatchStrategy is not None:
            sizes = strategy.varBatchStrategy.groupSizes or [group]
            return sizes[min(update.batch, len(sizes) - 1)]
        if strategy is not None and strategy.batchStrategy is not None:
            return strategy.batchStrategy.groupSize or group
        return group

    @staticmethod
    def autopause(update: Update) -> bool:
        strategy = update.settings.updateStrategy
        if strategy is None:
            return False
        chosen = strategy.batchStrategy or strategy.varBatchStrategy
        return bool(chosen and chosen.autopauseAfterBatch)

    def start_next(self, update: Update, remaining: list[Work], in_flight: list[Work],
                   current: dict[int, list[Any]]) -> int:
        a = api()
        room = self.capacity(update, len(in_flight))
        todo = [w for w in remaining if w.phase == "todo"]
        if not update.forward:
            todo.sort(key=lambda w: -(w.seq or 0))
        chosen = todo[:room]
        if not chosen:
            return 0
        floor = self.store.db.execute("SELECT COALESCE(MAX(rowid), 0) FROM tasks").fetchone()[0]
        seq = self.store.db.execute("SELECT COALESCE(MAX(seq), 0) FROM job_update_instances "
                                    "WHERE id = ?", (update.id,)).fetchone()[0]
        action = (a.JobUpdateAction.INSTANCE_UPDATING if update.forward
                  else a.JobUpdateAction.INSTANCE_ROLLING_BACK)
        for work in chosen:
            fields: dict[str, Any] = {"task_floor": floor}
            if update.forward:
                seq += 1
                fields["seq"] = seq
            self.set_phase(update.id, work, "active", **fields)
            work.task_floor = floor
            record_instance(self.store, update.id, work.instance, action)
            self.check(update, work, current.get(work.instance, []))
        self.store.db.execute("UPDATE job_updates SET batch = batch + 1 WHERE id = ?",
                              (update.id,))
        return len(chosen)

    # -- failing and rolling back -----------------------------------------------------
    def fail(self, update: Update, failed: int) -> None:
        s = statuses()
        message = f"{failed} instance(s) failed, more than maxFailedInstances allows"
        if update.forward and update.settings.rollbackOnFailure:
            begin_rollback(self.store, update, None, f"{message}; rolling back")
        else:
            record_status(self.store, update.id, s.FAILED, None, message)


def begin_rollback(store: Store, update: Update, user: str | None, message: str | None) -> None:
    """Turn an update round: every instance it touched goes back, newest first."""
    store.db.execute("UPDATE job_update_instances SET phase = 'skip' WHERE id = ? AND "
                     "phase = 'todo'", (update.id,))
    store.db.execute("UPDATE job_update_instances SET phase = 'todo' WHERE id = ? AND "
                     "phase IN ('active', 'done', 'failed')", (update.id,))
    store.db.execute("UPDATE job_updates SET batch = 0 WHERE id = ?", (update.id,))
    record_status(store, update.id, statuses().ROLLING_BACK, user, message)
