"""A new task's id and its first event carry the same clock reading."""

from __future__ import annotations

import itertools

from aurora.devcluster import engine as engine_module
from aurora.devcluster import store as store_module
from aurora.devcluster.engine import Engine
from aurora.devcluster.executor import SimulatedExecutor
from aurora.devcluster.store import Store
from tests.support.jobs import job, process


def test_the_task_id_and_its_pending_event_share_one_timestamp(tmp_path, monkeypatch):
    ticks = itertools.count(1_000_000)          # every clock reading moves on by 1 ms
    monkeypatch.setattr(engine_module, "now_ms", lambda: next(ticks))
    monkeypatch.setattr(store_module, "now_ms", lambda: next(ticks))
    store = Store(str(tmp_path / "state.db"))
    engine = Engine(store, SimulatedExecutor(str(tmp_path)))
    config = job("stamp", [process("p", "true")], instances=3, service=True)
    with store.transaction():
        ids = engine.create_tasks(config.taskConfig, [0, 1, 2])
        (row,) = store.tasks("task_id = ?", (ids[0],))
        engine.transition(row, api_status("FINISHED"), "done")
    events = dict(store.db.execute("SELECT task_id, MIN(ts) FROM task_events "
                                   "GROUP BY task_id").fetchall())
    replacement = store.db.execute("SELECT task_id FROM tasks WHERE ancestor = ?",
                                   (ids[0],)).fetchone()[0]
    for task_id in [*ids, replacement]:
        assert task_id.split("-")[0] == str(events[task_id]), task_id
    store.close()


def api_status(name: str) -> int:
    from aurora.api.idl import api

    return getattr(api().ScheduleStatus, name)
