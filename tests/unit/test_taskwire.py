"""Task query replies written straight from the store are the generic encoder's bytes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aurora.api.codec import encode_call
from aurora.api.idl import api
from aurora.devcluster import taskwire
from aurora.devcluster.engine import Engine
from aurora.devcluster.executor import SimulatedExecutor
from aurora.devcluster.handler import SchedulerHandler
from aurora.devcluster.server import DevclusterHttpServer, process_thrift
from aurora.devcluster.store import Store
from tests.support.jobs import job, process


@pytest.fixture
def server(tmp_path: Path) -> Any:
    store = Store(str(tmp_path / "state.db"))
    handler = SchedulerHandler(store, Engine(store, SimulatedExecutor(str(tmp_path))))
    a = api()
    web = job("web", [process("p", "serve")], instances=3, service=True)
    other = job("web", [process("q", "other")], instances=1, service=True)
    with store.transaction():
        ids = handler.engine.create_tasks(web.taskConfig, [0, 1, 2])
        handler.engine.create_tasks(other.taskConfig, [3])      # a second config
        rows = store.tasks("task_id = ?", (ids[0],))
        handler.engine.transition(rows[0], a.ScheduleStatus.ASSIGNED, None)  # no message
        store.db.execute("UPDATE tasks SET host = ?, ports = ? WHERE task_id = ?",
                         ("host-1", json.dumps({"http": 8080, "admin": 9090}), ids[0]))
        store.db.execute("UPDATE tasks SET host = '', ancestor = ? WHERE task_id = ?",
                         ("old-\u00e9", ids[1]))
        store.add_event(ids[2], a.ScheduleStatus.PENDING, "r\u00e9sum\u00e9 \u2713")
        store.move_all(a.ScheduleStatus.PENDING, a.ScheduleStatus.STARTING, "batch")
    web_server = DevclusterHttpServer(("127.0.0.1", 0), handler, reply_cache_bytes=0)
    yield web_server
    web_server.server_close()
    store.close()


def _call(method: str, query: Any, seqid: int = 7) -> bytes:
    return encode_call(api().AuroraAdmin, method, (query,), seqid)


QUERIES = [
    lambda a: a.TaskQuery(jobKeys=[a.JobKey(role="www-data", environment="prod", name="web")]),
    lambda a: a.TaskQuery(role="www-data", instanceIds={0, 3}),
    lambda a: a.TaskQuery(jobName="nothing-matches"),
    lambda a: a.TaskQuery(limit=2, offset=1),
    lambda a: None,
]


@pytest.mark.parametrize("method", sorted(taskwire.TASK_METHODS))
@pytest.mark.parametrize("make_query", QUERIES)
@pytest.mark.parametrize("per_piece", [1, 2048])
def test_direct_reply_is_byte_identical_to_the_generic_encoder(
        server: Any, monkeypatch: Any, method: str, make_query: Any, per_piece: int) -> None:
    monkeypatch.setattr(taskwire, "TASKS_PER_PIECE", per_piece)
    body = _call(method, make_query(api()))
    direct = taskwire.reply(server.handler, body)
    assert direct is not None
    assert b"".join(direct) == process_thrift(server.processor, body)
    assert server.process(body) == direct


@pytest.mark.parametrize("role", ["www-data", None, "nobody"])
@pytest.mark.parametrize("per_piece", [1, 2048])
def test_a_direct_get_jobs_reply_is_byte_identical_to_the_generic_encoder(
        server: Any, monkeypatch: Any, role: str | None, per_piece: int) -> None:
    """getJobs is written a piece at a time, the same bytes as in one buffer; with a
    cron template among the jobs (a job without tasks) and two configs of one job."""
    a = api()
    cron = job("nightly", [process("p", "true")], cron="0 3 * * *")
    server.handler.store.put_job(cron)
    monkeypatch.setattr(taskwire, "TASKS_PER_PIECE", per_piece)
    body = encode_call(a.AuroraAdmin, "getJobs", (role,), 3)
    direct = taskwire.reply(server.handler, body)
    assert direct is not None
    assert b"".join(direct) == process_thrift(server.processor, body)


def test_other_calls_and_broken_bodies_go_the_generic_way(server: Any) -> None:
    assert taskwire.reply(server.handler, _call("getPendingReason", api().TaskQuery())) is None
    assert taskwire.reply(server.handler, _call("getTasksStatus", api().TaskQuery())[:20]) \
        is None


def test_a_state_from_before_encoded_events_gets_them_once(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE tasks (task_id TEXT PRIMARY KEY, role TEXT NOT NULL, env TEXT NOT NULL,
            name TEXT NOT NULL, instance INTEGER NOT NULL, status INTEGER NOT NULL,
            failure_count INTEGER NOT NULL DEFAULT 0, ancestor TEXT, host TEXT,
            ports TEXT NOT NULL DEFAULT '{}', config_hash TEXT NOT NULL, pid INTEGER,
            sandbox TEXT, ready_at INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE task_events (task_id TEXT NOT NULL, ts INTEGER NOT NULL,
            status INTEGER NOT NULL, message TEXT);""")
    old.execute("INSERT INTO tasks (task_id, role, env, name, instance, status, config_hash) "
                "VALUES ('t1', 'r', 'e', 'n', 0, 2, 'h')")
    old.executemany("INSERT INTO task_events VALUES (?, ?, ?, ?)",
                    [("t1", 5, 0, "made"), ("t1", 6, 2, None), ("t2", 1, 0, "other")])
    old.commit()
    old.close()
    store = Store(str(path))
    count, events = store.db.execute("SELECT event_count, events FROM tasks").fetchone()
    assert count == 2
    assert events == taskwire.encoded_event((5, 0, "made")) + taskwire.encoded_event((6, 2, None))
    store.close()


def test_a_failing_query_is_answered_by_the_generic_path(server: Any) -> None:
    a = api()
    body = _call("getTasksStatus", a.TaskQuery(statuses={a.ScheduleStatus.RUNNING}))
    server.handler.store.close()           # any failure: the generic path reports it
    assert taskwire.reply(server.handler, body) is None


def test_a_reply_in_many_pieces_arrives_whole_over_http(server: Any, monkeypatch: Any) -> None:
    """A large reply is written piece by piece, never joined; over the wire it is the
    same bytes (here every task is a piece of its own)."""
    import threading
    import time

    from aurora.api.httpwire import Connection, Origin

    monkeypatch.setattr(taskwire, "TASKS_PER_PIECE", 1)
    monkeypatch.setattr(taskwire, "JOINED_AT_MOST", 0)
    body = _call("getTasksStatus", QUERIES[0](api()))
    assert len(server.process(body)) > 10
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        wire = Connection(Origin("http", "127.0.0.1", server.server_address[1]))
        answer = wire.post("/api", {"Content-Type": "application/vnd.apache.thrift.binary"},
                           body, time.monotonic() + 10, 5)
        wire.close()
    finally:
        server.shutdown()
    assert answer.status == 200
    assert answer.body == process_thrift(server.processor, body)
