"""The devcluster's state in SQLite (WAL): jobs, task configs, tasks, events, quotas,
job updates (the update engine's progress, events and instance events).

Thrift structs are stored as binary blobs; task configs are stored once per
distinct config (keyed by a hash) and shared by the tasks that run them. Every
RPC runs in one transaction (`transaction()`), so a scheduler killed with
SIGKILL restarts with everything it acknowledged.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aurora.api.idl import api, canonical, deserialize, serialize
from aurora.devcluster.taskwire import encoded_event

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    role TEXT NOT NULL, env TEXT NOT NULL, name TEXT NOT NULL,
    config BLOB NOT NULL,              -- JobConfiguration as submitted
    cron_schedule TEXT,                -- NULL for non-cron jobs
    last_run_ms INTEGER,               -- cron: when the schedule last fired (cron clock)
    pending_run INTEGER NOT NULL DEFAULT 0,  -- cron: a run waits for old tasks to die
    PRIMARY KEY (role, env, name)
);
CREATE TABLE IF NOT EXISTS task_configs (hash TEXT PRIMARY KEY, config BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
    task_id TEXT PRIMARY KEY,
    role TEXT NOT NULL, env TEXT NOT NULL, name TEXT NOT NULL,
    instance INTEGER NOT NULL,
    status INTEGER NOT NULL,
    failure_count INTEGER NOT NULL DEFAULT 0,
    ancestor TEXT,
    host TEXT,
    ports TEXT NOT NULL DEFAULT '{}',
    config_hash TEXT NOT NULL,
    pid INTEGER,
    sandbox TEXT,
    ready_at INTEGER NOT NULL DEFAULT 0,  -- THROTTLED tasks wait until then (ms)
    event_count INTEGER NOT NULL DEFAULT 0,
    events BLOB NOT NULL DEFAULT x''      -- its task_events as encoded TaskEvents, in order
);
CREATE INDEX IF NOT EXISTS tasks_by_job ON tasks (role, env, name, instance);
CREATE INDEX IF NOT EXISTS tasks_by_status ON tasks (status);
CREATE TABLE IF NOT EXISTS task_events (
    task_id TEXT NOT NULL, ts INTEGER NOT NULL, status INTEGER NOT NULL, message TEXT
);
CREATE INDEX IF NOT EXISTS events_by_task ON task_events (task_id);
CREATE TABLE IF NOT EXISTS job_updates (
    id TEXT PRIMARY KEY,
    role TEXT NOT NULL, env TEXT NOT NULL, name TEXT NOT NULL,
    user TEXT, status INTEGER NOT NULL,
    created_ms INTEGER NOT NULL, modified_ms INTEGER NOT NULL,
    metadata TEXT NOT NULL DEFAULT '[]',  -- JSON [[key, value], ...]; 'null' when unset
    instructions BLOB NOT NULL,          -- JobUpdateInstructions
    new_hash TEXT NOT NULL,              -- task config the update rolls forward to
    batch INTEGER NOT NULL DEFAULT 0,    -- batches started in the current direction
    last_pulse_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS updates_by_job ON job_updates (role, env, name);
CREATE INDEX IF NOT EXISTS updates_by_status ON job_updates (status);
CREATE TABLE IF NOT EXISTS job_update_events (
    id TEXT NOT NULL, ts INTEGER NOT NULL, status INTEGER NOT NULL, user TEXT, message TEXT
);
CREATE INDEX IF NOT EXISTS update_events_by_id ON job_update_events (id);
CREATE TABLE IF NOT EXISTS job_instance_events (
    id TEXT NOT NULL, instance INTEGER NOT NULL, ts INTEGER NOT NULL, action INTEGER NOT NULL,
    message TEXT
);
CREATE INDEX IF NOT EXISTS instance_events_by_id ON job_instance_events (id);
CREATE TABLE IF NOT EXISTS job_update_instances (  -- the engine's work list per update
    id TEXT NOT NULL, instance INTEGER NOT NULL,
    old_hash TEXT, new_hash TEXT,        -- NULL: no task before / after
    phase TEXT NOT NULL,                 -- todo, active, done, failed, skip
    seq INTEGER,                         -- order in which the forward pass started it
    task_floor INTEGER NOT NULL DEFAULT 0,  -- tasks rowid when its current action began
    PRIMARY KEY (id, instance)
);
CREATE TABLE IF NOT EXISTS quotas (
    role TEXT PRIMARY KEY, cpus REAL NOT NULL, ram_mb INTEGER NOT NULL,
    disk_mb INTEGER NOT NULL
);
"""


EVENT_CHUNK = 900      # task ids per query: below SQLite's oldest limit of 999 parameters
# Each task row also carries its events as a reply encodes them: a task query of
# 10,000 tasks reads 10,000 rows, not 40,000 event rows turned into Python objects.
APPEND_EVENT = "event_count = event_count + 1, events = CAST(events || ? AS BLOB)"


def now_ms() -> int:
    return int(time.time() * 1000)


class Store:
    """A thread-safe SQLite store; one connection, one lock, one transaction per RPC."""

    def __init__(self, path: str):
        os.makedirs(os.path.dirname(os.path.abspath(path)), mode=0o700, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        for name in (path, f"{path}-wal", f"{path}-shm"):    # owner only, whatever the umask
            if os.path.exists(name):
                os.chmod(name, 0o600)
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self._add_encoded_events()
        self.lock = threading.RLock()
        self._configs: dict[str, Any] = {}
        self._depth = 0

    def _add_encoded_events(self) -> None:
        """A state written before tasks carried their encoded events gets them, once."""
        def done() -> bool:
            return "events" in {row[1] for row in self.db.execute("PRAGMA table_info(tasks)")}

        if done():
            return
        self.db.execute("BEGIN IMMEDIATE")
        if done():              # another devcluster on this state got there first
            self.db.execute("ROLLBACK")
            return
        self.db.execute("ALTER TABLE tasks ADD COLUMN event_count INTEGER NOT NULL DEFAULT 0")
        self.db.execute("ALTER TABLE tasks ADD COLUMN events BLOB NOT NULL DEFAULT x''")
        ids = [row[0] for row in self.db.execute("SELECT task_id FROM tasks")]
        for task_id, events in self.events(ids).items():
            self.db.execute("UPDATE tasks SET event_count = ?, events = ? WHERE task_id = ?",
                            (len(events), b"".join(map(encoded_event, events)), task_id))
        self.db.execute("COMMIT")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            outer = self._depth == 0
            if outer:
                self.db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self.db
            except BaseException:
                self._depth -= 1
                if outer:
                    self.db.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self.db.execute("COMMIT")

    def close(self) -> None:
        with self.lock:
            self.db.close()

    # -- task configs ---------------------------------------------------------------
    @staticmethod
    def digest(config: Any) -> str:
        """The key a task config is stored under: equal configs, equal keys."""
        return hashlib.sha1(repr(canonical(config)).encode()).hexdigest()

    def put_config(self, config: Any) -> str:
        blob = serialize(config)
        digest = self.digest(config)
        if digest not in self._configs:
            self.db.execute("INSERT OR IGNORE INTO task_configs VALUES (?, ?)", (digest, blob))
            self._configs[digest] = config
        return digest

    def config(self, digest: str) -> Any:
        if digest not in self._configs:
            row = self.db.execute("SELECT config FROM task_configs WHERE hash = ?",
                                  (digest,)).fetchone()
            self._configs[digest] = deserialize(api().TaskConfig, row[0])
        return self._configs[digest]

    def forget_cached_configs(self) -> None:
        """After a rollback: a cached config may no longer be in the database."""
        self._configs.clear()

    # -- jobs -----------------------------------------------------------------------
    def put_job(self, config: Any, last_run_ms: int | None = None) -> None:
        key = config.key
        self.db.execute("INSERT OR REPLACE INTO jobs (role, env, name, config, cron_schedule, "
                        "last_run_ms) VALUES (?, ?, ?, ?, ?, ?)",
                        (key.role, key.environment, key.name, serialize(config),
                         config.cronSchedule, last_run_ms))

    def cron_jobs(self) -> list[tuple[Any, int | None, int]]:
        """(JobConfiguration, last run ms, pending run flag) of every cron job."""
        rows = self.db.execute("SELECT config, last_run_ms, pending_run FROM jobs "
                               "WHERE cron_schedule IS NOT NULL").fetchall()
        return [(deserialize(api().JobConfiguration, c), last, pending)
                for c, last, pending in rows]

    def set_cron_pending(self, key: Any, pending_run: int) -> None:
        self.db.execute("UPDATE jobs SET pending_run = ? WHERE role = ? AND env = ? AND "
                        "name = ?", (pending_run, key.role, key.environment, key.name))

    def set_cron_state(self, key: Any, last_run_ms: int | None, pending_run: int) -> None:
        self.db.execute("UPDATE jobs SET last_run_ms = ?, pending_run = ? WHERE role = ? AND "
                        "env = ? AND name = ?", (last_run_ms, pending_run, key.role,
                                                 key.environment, key.name))

    def job(self, role: str, env: str, name: str) -> Any | None:
        row = self.db.execute("SELECT config FROM jobs WHERE role=? AND env=? AND name=?",
                              (role, env, name)).fetchone()
        return deserialize(api().JobConfiguration, row[0]) if row else None

    def cron_templates(self, role: str | None = None) -> list[Any]:
        """The JobConfigurations of cron jobs (of `role`, or all)."""
        sql, args = "SELECT config FROM jobs WHERE cron_schedule IS NOT NULL", ()
        if role:
            sql, args = sql + " AND role = ?", (role,)
        return [deserialize(api().JobConfiguration, r[0]) for r in self.db.execute(sql, args)]

    def delete_job(self, role: str, env: str, name: str) -> None:
        self.db.execute("DELETE FROM jobs WHERE role=? AND env=? AND name=?", (role, env, name))

    # -- tasks ----------------------------------------------------------------------
    def add_task(self, task_id: str, key: Any, instance: int, config_hash: str,
                 failure_count: int = 0, ancestor: str | None = None,
                 message: str = "Task created", status: int | None = None,
                 ready_at: int = 0, at: int | None = None) -> None:
        status = api().ScheduleStatus.PENDING if status is None else status
        self.db.execute(
            "INSERT INTO tasks (task_id, role, env, name, instance, status, failure_count, "
            "ancestor, config_hash, ready_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (task_id, key.role, key.environment, key.name, instance,
             status, failure_count, ancestor, config_hash, ready_at))
        self.add_event(task_id, status, message, at)

    def add_tasks(self, task_ids: list[str], key: Any, instances: list[int], config_hash: str,
                  failure_count: int, ancestor: str | None, message: str, at: int) -> None:
        """Many new PENDING tasks of one job at once (a 10,000-instance create), created
        at `at` (ms)."""
        status = api().ScheduleStatus.PENDING
        event = encoded_event((at, status, message))
        self.db.executemany(
            "INSERT INTO tasks (task_id, role, env, name, instance, status, failure_count, "
            "ancestor, config_hash, event_count, events) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
            [(task_id, key.role, key.environment, key.name, instance, status, failure_count,
              ancestor, config_hash, event)
             for task_id, instance in zip(task_ids, instances, strict=True)])
        self.db.executemany("INSERT INTO task_events VALUES (?, ?, ?, ?)",
                            [(task_id, at, status, message) for task_id in task_ids])

    def add_event(self, task_id: str, status: int, message: str | None,
                  at: int | None = None) -> None:
        """Record a transition at `at` (ms), or now: one clock reading per transition."""
        at = now_ms() if at is None else at
        self.db.execute("INSERT INTO task_events VALUES (?, ?, ?, ?)",
                        (task_id, at, status, message))
        self.db.execute(f"UPDATE tasks SET {APPEND_EVENT} WHERE task_id = ?",
                        (encoded_event((at, status, message)), task_id))

    def set_status(self, task_id: str, status: int, message: str | None, **fields: Any) -> None:
        assignments = ", ".join(["status = ?"] + [f"{k} = ?" for k in fields])
        self.db.execute(f"UPDATE tasks SET {assignments} WHERE task_id = ?",
                        (status, *fields.values(), task_id))
        self.add_event(task_id, status, message)

    def set_status_many(self, task_ids: list[str], status: int, message: str | None) -> None:
        """One transition of many tasks at one clock reading (a kill of 100,000
        instances): two statements run many times, not three per task."""
        at = now_ms()
        event = encoded_event((at, status, message))
        self.db.executemany("INSERT INTO task_events VALUES (?, ?, ?, ?)",
                            [(task_id, at, status, message) for task_id in task_ids])
        self.db.executemany(f"UPDATE tasks SET status = ?, {APPEND_EVENT} WHERE task_id = ?",
                            [(status, event, task_id) for task_id in task_ids])

    def move_all(self, from_status: int, to_status: int, message: str) -> int:
        """Batch transition (used by the simulating executor for huge jobs)."""
        ts = now_ms()
        self.db.execute("INSERT INTO task_events SELECT task_id, ?, ?, ? FROM tasks "
                        "WHERE status = ?", (ts, to_status, message, from_status))
        return self.db.execute(f"UPDATE tasks SET status = ?, {APPEND_EVENT} WHERE status = ?",
                               (to_status, encoded_event((ts, to_status, message)),
                                from_status)).rowcount

    def tasks(self, where: str = "1", args: tuple = (), limit: int | None = None,
              offset: int = 0, columns: str | None = None, named: bool = False,
              stream: bool = False) -> list[Any] | sqlite3.Cursor:
        """Rows matching `where`, in job and instance order; a page of them with `limit`.
        Whole rows by name, or tuples of `columns` (cheaper for many rows; by name too
        with `named`). A list, or with `stream` an iterator over them (read it inside
        the transaction): 100,000 rows are then never all held at once."""
        page = f" LIMIT {int(limit)} OFFSET {int(offset)}" if limit else (
            f" LIMIT -1 OFFSET {int(offset)}" if offset else "")
        self.db.row_factory = sqlite3.Row if named or not columns else None
        try:
            rows = self.db.execute(f"SELECT {columns or '*'} FROM tasks WHERE {where} "
                                   f"ORDER BY role, env, name, instance, rowid{page}", args)
            return rows if stream else rows.fetchall()
        finally:
            self.db.row_factory = None

    def active_tasks(self, key: Any, instances: Any = None,
                     columns: str = "*") -> list[sqlite3.Row]:
        """Rows of the job's active tasks (ACTIVE_STATES), optionally of some instances;
        only some `columns` of them when that is all a caller reads (a kill of 100,000)."""
        active = list(api().ACTIVE_STATES)
        where = (f"role = ? AND env = ? AND name = ? AND status IN "
                 f"({','.join('?' * len(active))})")
        args = [key.role, key.environment, key.name, *active]
        if instances and len(instances) > 500:     # past SQLite's limit on parameters
            wanted = set(instances)
            with_instance = columns if columns == "*" else f"{columns}, instance"
            return [r for r in self.tasks(where, tuple(args), columns=with_instance,
                                          named=True) if r["instance"] in wanted]
        if instances:
            ids = list(instances)
            where += f" AND instance IN ({','.join('?' * len(ids))})"
            args += ids
        return self.tasks(where, tuple(args), columns=columns, named=True)

    def events(self, task_ids: list[str]) -> dict[str, list[tuple[int, int, str | None]]]:
        """Each task's events in the order they happened, looked up through the task id
        index in chunks: the cost follows the tasks asked for, never the history's size."""
        found: dict[str, list[tuple[int, int, str | None]]] = {t: [] for t in task_ids}
        ids = list(found)
        for start in range(0, len(ids), EVENT_CHUNK):
            chunk = ids[start:start + EVENT_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute("SELECT task_id, ts, status, message FROM task_events "
                                   f"WHERE task_id IN ({marks}) ORDER BY rowid", chunk)
            for task_id, ts, status, message in rows:
                found[task_id].append((ts, status, message))
        return found

    # -- quotas ---------------------------------------------------------------------
    def quota(self, role: str) -> tuple[float, int, int] | None:
        """(cpus, ram_mb, disk_mb) set for `role`, or None when it was never given one."""
        row = self.db.execute("SELECT cpus, ram_mb, disk_mb FROM quotas WHERE role = ?",
                              (role,)).fetchone()
        return tuple(row) if row else None  # type: ignore[return-value]

    def set_quota(self, role: str, cpus: float, ram_mb: int, disk_mb: int) -> None:
        self.db.execute("INSERT OR REPLACE INTO quotas VALUES (?, ?, ?, ?)",
                        (role, cpus, ram_mb, disk_mb))
