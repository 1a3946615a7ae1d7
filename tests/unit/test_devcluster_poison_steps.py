"""The devcluster's scheduling steps with poison: isolation, reasons, back-off, limits."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from aurora.api.idl import api, status_name
from aurora.devcluster import engine as engine_module
from aurora.devcluster.backoff import INITIAL_DELAY_MS, MAX_DELAY_MS, flapped, next_delay
from aurora.devcluster.engine import MAX_TASK_ID, Engine, new_task_id
from aurora.devcluster.executor import ProcessExecutor
from aurora.devcluster.store import Store
from aurora.devcluster.taskcheck import never_runs
from aurora.errors import InvalidParameter
from aurora.jobkey import parse_job_key
from plugins.cron import next_runs
from tests.support.jobs import job, process


class FakeExecutor:
    """Launches nothing; fails whatever belongs to the job named `bad`."""

    simulated = False

    def __init__(self) -> None:
        self.removed: list[str] = []

    def launch(self, task_id: str, *args: Any) -> tuple[int | None, str | None, str | None]:
        if "-bad-" in task_id:
            raise OSError(36, "File name too long")
        return None, f"/sandboxes/{task_id}", None     # pid, sandbox, the user it runs as

    def observe(self, task_id: str, *args: Any) -> None:
        if "-bad-" in task_id:
            raise RuntimeError("cannot read its status")

    def kill(self, *args: Any) -> None:
        pass

    def remove_sandbox(self, sandbox: str) -> None:
        self.removed.append(sandbox)


def make(tmp_path: Any, executor: Any = None) -> tuple[Store, Engine]:
    store = Store(str(tmp_path / "state.db"))
    return store, Engine(store, executor or FakeExecutor())


def rows_of(store: Store, name: str) -> list[Any]:
    with store.transaction():
        return store.tasks("name = ?", (name,))


def events_of(store: Store, row: Any) -> list[str]:
    with store.transaction():
        return [m for _, _, m in store.events([row["task_id"]])[row["task_id"]]]


def test_a_launch_that_fails_fails_that_task_with_the_reason_and_others_launch(tmp_path):
    store, engine = make(tmp_path)
    with store.transaction():
        engine.create_tasks(job("bad", [process("p", "true")]).taskConfig, [0])
        engine.create_tasks(job("good", [process("p", "true")]).taskConfig, [0])
    engine.step()
    bad, good = rows_of(store, "bad")[0], rows_of(store, "good")[0]
    assert status_name(bad["status"]) == "FAILED"
    assert "Task could not be launched: OSError: [Errno 36] File name too long" in \
        events_of(store, bad)[-1]
    assert status_name(good["status"]) == "STARTING"


def test_a_step_failing_again_and_again_is_logged_once(tmp_path, caplog):
    store, engine = make(tmp_path)
    with store.transaction():
        for name in ("bad", "good"):
            ids = engine.create_tasks(job(name, [process("p", "true")]).taskConfig, [0])
            engine.store.set_status(ids[0], api().ScheduleStatus.RUNNING, "running")
    with caplog.at_level(logging.INFO, logger="aurora.devcluster"):
        for _ in range(5):
            engine.step()
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(errors) == 1 and "www-data/test/bad: observing a task failed" in \
        errors[0].getMessage()
    assert "\n" not in errors[0].getMessage()


def test_a_stored_task_that_can_never_run_fails_before_any_sandbox(tmp_path):
    store, engine = make(tmp_path, ProcessExecutor(str(tmp_path)))
    with store.transaction():       # as an older version accepted it
        engine.create_tasks(job("nul", [process("p", "echo a\0b")]).taskConfig, [0])
    engine.step()
    row, = rows_of(store, "nul")
    assert status_name(row["status"]) == "FAILED"
    assert events_of(store, row)[-1] == ("Task could not be launched: the cmdline of "
                                         "process 'p' contains a NUL byte")
    assert not list((tmp_path / "agent").rglob("thermos-*"))


def test_replacements_of_flapping_tasks_wait_longer_each_time(tmp_path):
    s = api().ScheduleStatus
    store, engine = make(tmp_path)
    with store.transaction():
        engine.create_tasks(job("lost", [process("p", "true")]).taskConfig, [0])
    waits = []
    for _ in range(6):
        with store.transaction():
            row = store.tasks("name = ? AND status IN (?, ?)", ("lost", s.PENDING, s.THROTTLED))[0]
            engine.transition(row, s.ASSIGNED, "assigned")
            engine.transition(dict(row, status=s.ASSIGNED), s.LOST, "runner died")
            new = store.tasks("name = ? AND ancestor = ?", ("lost", row["task_id"]))[0]
            assert status_name(new["status"]) == "THROTTLED"
            waits.append(new["ready_at"] - store.events([new["task_id"]])[new["task_id"]][0][0])
    assert waits == [5_000, 10_000, 20_000, 40_000, 60_000, 60_000]


def test_a_task_the_devcluster_itself_ended_is_replaced_at_once(tmp_path):
    s = api().ScheduleStatus
    store, engine = make(tmp_path)
    with store.transaction():
        task_id, = engine.create_tasks(job("stop", [process("p", "true")]).taskConfig, [0])
        row = store.tasks("task_id = ?", (task_id,))[0]
        engine.transition(row, s.LOST, "Task lost: the devcluster was stopped", throttle=False)
        new = store.tasks("ancestor = ?", (task_id,))[0]
    assert status_name(new["status"]) == "PENDING"


def test_back_off_is_the_truncated_binary_one():
    assert next_delay(0) == INITIAL_DELAY_MS
    assert next_delay(INITIAL_DELAY_MS) == 2 * INITIAL_DELAY_MS
    assert next_delay(MAX_DELAY_MS) == MAX_DELAY_MS


@pytest.mark.parametrize("interruption", ["KILLING", "RESTARTING", "DRAINING"])
def test_a_task_that_was_interrupted_did_not_flap(interruption):
    s = api().ScheduleStatus
    short = [(0, s.PENDING, None), (100, s.RUNNING, None), (200, s.FAILED, None)]
    assert flapped(short)
    assert not flapped(short[:2] + [(150, getattr(s, interruption), None)] + short[2:])
    assert not flapped([(0, s.RUNNING, None), (10_000, s.FAILED, None)])


def test_each_instance_keeps_its_last_sandboxes_only(tmp_path, monkeypatch):
    monkeypatch.setattr(engine_module, "KEEP_SANDBOXES", 2)
    s = api().ScheduleStatus
    executor = FakeExecutor()
    store, engine = make(tmp_path, executor)
    with store.transaction():
        config = job("many", [process("p", "true")]).taskConfig
        ids = [engine.create_tasks(config, [0])[0] for _ in range(5)]
        for task_id in ids:
            store.set_status(task_id, s.FAILED, "ended", sandbox=f"/sandboxes/{task_id}")
        engine._prune_sandboxes(store.tasks("task_id = ?", (ids[-1],))[0])
        kept = [r["task_id"] for r in store.tasks("sandbox IS NOT NULL")]
    assert executor.removed == [f"/sandboxes/{t}" for t in reversed(ids[:3])]
    assert kept == ids[3:]


def test_task_ids_fit_in_one_path_component():
    short = new_task_id("www-data", "prod", "hello", 3, 1700000000000, "u" * 36)
    assert short == f"1700000000000-www-data-prod-hello-3-{'u' * 36}"
    long = new_task_id("r" * 255, "e" * 255, "n" * 255, 99_999, 1700000000000, "u" * 36)
    assert len(long) == MAX_TASK_ID and long.endswith(f"-99999-{'u' * 36}")


@pytest.mark.parametrize("name, cmdline, problem", [
    ("p", "echo a\0b", "contains a NUL byte"),
    ("p", "x" * 200_000, "200000 bytes long"),
    ("p" * 300, "true", "300 bytes long"),
    ("../../x", "true", "invalid process name"),
    (".hidden", "true", "invalid process name"),
])
def test_what_can_never_run(name, cmdline, problem):
    assert problem in never_runs(job("j", [process(name, cmdline)]).taskConfig)


def test_what_can_run():
    config = job("j", [process("p" * 255, "x" * (128 * 1024 - 1))]).taskConfig
    assert never_runs(config) is None
    config.executorConfig.data = json.dumps({"task": {"processes": "nonsense"}})
    assert "not a Thermos task" in never_runs(config)


def test_the_client_bounds_job_key_parts_as_the_scheduler_does():
    assert parse_job_key(f"c/r/e/{'n' * 255}").name == "n" * 255
    with pytest.raises(InvalidParameter, match="256 characters long; at most 255"):
        parse_job_key(f"c/r/e/{'n' * 256}")


def test_next_runs_of_a_schedule_no_date_matches_is_empty():
    assert next_runs("0 0 30 2 *") == []
    assert len(next_runs("0 0 29 2 *")) == 3
