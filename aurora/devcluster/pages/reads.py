"""What the pages show, read from the store in one short hold of its lock.

Every read here runs inside `snapshot`: the store's lock is taken, one read
transaction sees one consistent state, plain rows come out, and the lock is
released before any HTML is made. Nothing here writes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aurora.api.idl import api
from aurora.devcluster.store import Store
from aurora.devcluster.updates import Update

FINISHED_SHOWN = 50       # recent finished tasks on a job page
EVENTS_SHOWN = 3          # last events per active task
UPDATES_SHOWN = 100       # on the list of recent updates
INSTANCE_EVENTS_SHOWN = 200


@contextmanager
def snapshot(store: Store) -> Iterator[Any]:
    """The store's connection inside one read transaction, under its lock."""
    with store.lock:
        store.db.execute("BEGIN")
        try:
            yield store.db
        finally:
            store.db.execute("COMMIT")


def version(store: Store) -> str:
    """Changes when the state does: our own writes, and other processes' commits."""
    with store.lock:
        return f"{store.db.total_changes}.{store.db.execute('PRAGMA data_version').fetchone()[0]}"


def _marks(values: Any) -> str:
    return ",".join("?" * len(values))


def active_states() -> list[int]:
    return sorted(api().ACTIVE_STATES)


# -- roles and jobs -----------------------------------------------------------------------
@dataclass
class JobRow:
    role: str
    env: str
    name: str
    config: Any = None                  # JobConfiguration (active or cron), None if inactive
    counts: dict[int, int] = field(default_factory=dict)    # status -> tasks
    update: tuple[str, int] | None = None                     # active update (id, status)


def jobs(handler: Any, role: str | None = None, env: str | None = None) -> list[JobRow]:
    """Jobs (of a role, of an environment): those the API lists, then those with only
    finished tasks; each with its tasks counted by state and its active update."""
    store = handler.store
    where, args = "1", ()
    if role:
        where, args = "role = ?", (role,)
        if env:
            where, args = "role = ? AND env = ?", (role, env)
    with snapshot(store) as db:
        found = {(j.key.role, j.key.environment, j.key.name): JobRow(
            j.key.role, j.key.environment, j.key.name, j) for j in handler.jobs_of(role)
            if not env or j.key.environment == env}
        for r, e, n, status, count in db.execute(
                f"SELECT role, env, name, status, COUNT(*) FROM tasks WHERE {where} "
                "GROUP BY role, env, name, status", args):
            found.setdefault((r, e, n), JobRow(r, e, n)).counts[status] = count
        states = sorted(api().ACTIVE_JOB_UPDATE_STATES)
        for r, e, n, update_id, status in db.execute(
                f"SELECT role, env, name, id, status FROM job_updates WHERE {where} AND "
                f"status IN ({_marks(states)})", (*args, *states)):
            if (r, e, n) in found:
                found[(r, e, n)].update = (update_id, status)
    return [found[k] for k in sorted(found)]


# -- one job --------------------------------------------------------------------------------
@dataclass
class TaskRow:
    task_id: str
    instance: int
    status: int
    host: str | None
    ports: dict[str, int]
    config_hash: str
    failures: int
    events: list[tuple[int, int, str | None]]     # the last few, oldest first


@dataclass
class JobView:
    config: Any                         # JobConfiguration: cron template or newest task's
    active: list[TaskRow]
    finished: list[TaskRow]             # most recent first
    finished_total: int
    configs: dict[str, Any]             # config hash -> TaskConfig, of active tasks
    updates: list[tuple]                # (id, status, user, created_ms, modified_ms)
    next_cron_ms: int | None = None


TASK_COLUMNS = "task_id, instance, status, host, ports, config_hash, failure_count"


def _task_rows(store: Store, rows: list[tuple]) -> list[TaskRow]:
    events = store.events([r[0] for r in rows])
    ports: dict[str, dict[str, int]] = {}
    made = []
    for task_id, instance, status, host, port_text, digest, failures in rows:
        if port_text not in ports:
            ports[port_text] = json.loads(port_text)
        made.append(TaskRow(task_id, instance, status, host, ports[port_text], digest,
                            failures, events[task_id][-EVENTS_SHOWN:]))
    return made


def job(handler: Any, role: str, env: str, name: str) -> JobView | None:
    """One job's tasks, configuration and updates; None when it never existed."""
    store = handler.store
    key = (role, env, name)
    active = active_states()
    with snapshot(store) as db:
        rows = db.execute(f"SELECT {TASK_COLUMNS} FROM tasks WHERE role = ? AND env = ? AND "
                          f"name = ? AND status IN ({_marks(active)}) ORDER BY instance, rowid",
                          (*key, *active)).fetchall()
        done = db.execute(f"SELECT {TASK_COLUMNS} FROM tasks WHERE role = ? AND env = ? AND "
                          f"name = ? AND status NOT IN ({_marks(active)}) ORDER BY rowid DESC "
                          f"LIMIT {FINISHED_SHOWN}", (*key, *active)).fetchall()
        total = db.execute(f"SELECT COUNT(*) FROM tasks WHERE role = ? AND env = ? AND "
                           f"name = ? AND status NOT IN ({_marks(active)})",
                           (*key, *active)).fetchone()[0]
        updates = db.execute("SELECT id, status, user, created_ms, modified_ms FROM "
                             "job_updates WHERE role = ? AND env = ? AND name = ? "
                             "ORDER BY created_ms DESC, rowid DESC LIMIT 20", key).fetchall()
        config = store.job(*key)
        newest = rows[-1][5] if rows else (done[0][5] if done else None)
        if config is None and newest is None and not updates:
            return None
        configs = {d: store.config(d) for d in dict.fromkeys(r[5] for r in rows)}
        if config is None and newest is not None:
            task = store.config(newest)
            config = api().JobConfiguration(
                key=api().JobKey(role=role, environment=env, name=name), owner=task.owner,
                taskConfig=task, instanceCount=len({r[1] for r in rows}))
        view = JobView(config, _task_rows(store, rows), _task_rows(store, done), total,
                       configs, updates)
    if view.config is not None and view.config.cronSchedule:
        from aurora.devcluster.cron import next_run_ms

        view.next_cron_ms = next_run_ms(view.config.cronSchedule,
                                        handler.engine.cron.clock.now_ms())
    return view


# -- updates ------------------------------------------------------------------------------
@dataclass
class UpdateView:
    update: Update
    work: list[tuple]          # (instance, phase, seq, task_floor) by instance
    events: list[tuple]        # (ts, status, user, message), oldest first
    instance_events: list[tuple]   # (instance, ts, action, message), newest first
    instance_events_total: int
    last_action: dict[int, int]    # instance -> its latest JobUpdateAction
    task_status: dict[int, int]    # instance -> status of its newest active task


def update(store: Store, role: str, env: str, name: str, update_id: str) -> UpdateView | None:
    """One update of one job; None when there is no such update of that job."""
    from aurora.devcluster.updates import load_update

    active = active_states()
    with snapshot(store) as db:
        found = load_update(store, update_id)
        if found is None or (found.role, found.env, found.name) != (role, env, name):
            return None
        work = db.execute("SELECT instance, phase, seq, task_floor FROM job_update_instances "
                          "WHERE id = ? ORDER BY instance", (update_id,)).fetchall()
        events = db.execute("SELECT ts, status, user, message FROM job_update_events "
                            "WHERE id = ? ORDER BY rowid", (update_id,)).fetchall()
        instance_events = db.execute(
            "SELECT instance, ts, action, message FROM job_instance_events WHERE id = ? "
            f"ORDER BY rowid DESC LIMIT {INSTANCE_EVENTS_SHOWN}", (update_id,)).fetchall()
        total = db.execute("SELECT COUNT(*) FROM job_instance_events WHERE id = ?",
                           (update_id,)).fetchone()[0]
        last_action = dict(db.execute(
            "SELECT instance, action FROM job_instance_events WHERE id = ? ORDER BY rowid",
            (update_id,)).fetchall())
        task_status = dict(db.execute(
            "SELECT instance, status FROM tasks WHERE role = ? AND env = ? AND name = ? AND "
            f"status IN ({_marks(active)}) ORDER BY rowid", (role, env, name, *active)))
    return UpdateView(found, work, events, instance_events, total, last_action, task_status)


def recent_updates(store: Store) -> tuple[list[tuple], dict[str, dict[str, int]]]:
    """The newest updates across jobs, and each one's instances counted by phase."""
    with snapshot(store) as db:
        rows = db.execute("SELECT id, role, env, name, user, status, created_ms, modified_ms "
                          "FROM job_updates ORDER BY created_ms DESC, rowid DESC "
                          f"LIMIT {UPDATES_SHOWN}").fetchall()
        ids = [r[0] for r in rows]
        phases: dict[str, dict[str, int]] = defaultdict(dict)
        if ids:
            for update_id, phase, count in db.execute(
                    "SELECT id, phase, COUNT(*) FROM job_update_instances WHERE id IN "
                    f"({_marks(ids)}) GROUP BY id, phase", ids):
                phases[update_id][phase] = count
    return rows, phases
