"""The pieces that keep large jobs cheap: reply views, the devcluster's store and cache."""

from __future__ import annotations

from pathlib import Path

from aurora.api.idl import api
from aurora.api.views import STATUS_TEXT, TASK_STATES, reply_view
from aurora.devcluster.server import ReplyCache
from aurora.devcluster.store import EVENT_CHUNK, Store
from aurora.fastpath import plugins_needed
from aurora.index import terminal_columns


def _response() -> object:
    a = api()
    config = a.TaskConfig(job=a.JobKey(role="r", environment="e", name="n"), isService=True,
                          maxTaskFailures=1, resources={a.Resource(numCpus=1.0)},
                          metadata={a.Metadata(key="k", value="v")}, tier="preferred")
    task = a.ScheduledTask(
        status=a.ScheduleStatus.RUNNING, failureCount=0, ancestorId="old",
        assignedTask=a.AssignedTask(taskId="t", slaveHost="h", instanceId=3, task=config,
                                    assignedPorts={"http": 80}),
        taskEvents=[a.TaskEvent(timestamp=5, status=a.ScheduleStatus.PENDING, message="m")])
    return a.Response(responseCode=a.ResponseCode.OK, result=a.Result(
        scheduleStatusResult=a.ScheduleStatusResult(tasks=[task])))


def _decode_as(view: object, response: object) -> object:
    from thriftpy2.protocol import TCyBinaryProtocolFactory
    from thriftpy2.utils import deserialize, serialize

    factory = TCyBinaryProtocolFactory()
    reply = view.getTasksWithoutConfigs_result.thrift_spec[0][2]  # type: ignore[attr-defined]
    return deserialize(reply(), serialize(response, factory), factory)


def test_status_view_keeps_what_text_shows_and_drops_the_rest() -> None:
    task = _decode_as(reply_view("getTasksWithoutConfigs", STATUS_TEXT),
                      _response()).result.scheduleStatusResult.tasks[0]
    assert task.assignedTask.instanceId == 3 and task.assignedTask.slaveHost == "h"
    assert task.assignedTask.assignedPorts == {"http": 80}
    assert task.assignedTask.task.job.name == "n"
    assert [m.key for m in task.assignedTask.task.metadata] == ["k"]
    assert task.taskEvents[0].message == "m"
    assert not hasattr(task, "ancestorId") and not hasattr(task.assignedTask.task, "tier")


def test_task_states_view_keeps_instance_status_and_event_times() -> None:
    task = _decode_as(reply_view("getTasksWithoutConfigs", TASK_STATES),
                      _response()).result.scheduleStatusResult.tasks[0]
    assert (task.assignedTask.instanceId, task.status) == (3, api().ScheduleStatus.RUNNING)
    assert task.taskEvents[0].timestamp == 5
    assert not hasattr(task.taskEvents[0], "message")


def test_events_found_through_the_index_in_chunks(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "state.db"))
    ids = [f"task-{i}" for i in range(EVENT_CHUNK * 2 + 7)]
    with store.transaction():
        for round_ in range(3):
            for i, task_id in enumerate(ids):
                store.add_event(task_id, round_, f"{i}-{round_}")
        store.add_event("someone-else", 9, "not asked for")
    found = store.events(ids[5:])
    assert len(found) == len(ids) - 5
    assert all([m for _, _, m in found[t]] == [f"{i}-{r}" for r in range(3)]
               for i, t in enumerate(ids) if i >= 5)
    store.close()


def test_reply_cache_is_bounded_by_bytes() -> None:
    cache = ReplyCache(max_bytes=1000)
    for i in range(20):
        cache.put(b"q%d" % i, 1, [b"x" * 60, b"x" * 40])
    assert cache.used <= 1000
    assert cache.get(b"q19", 1) is not None and cache.get(b"q0", 1) is None
    cache.put(b"huge", 1, [b"x" * 200, b"x" * 100])  # both pieces: over a quarter, not kept
    assert cache.get(b"huge", 1) is None
    assert cache.get(b"q19", 2) is None      # another state version


def test_plugins_needed_follows_verbs_added_to_other_nouns() -> None:
    data = {"commands": {
        "nouns": {"job": ["job"], "greet": ["site"], "plugins": ["plugins", "site"],
                  "cron": ["cron"]},
        "plugins": {"job": ["register_nouns"], "site": ["register_nouns", "register_verbs"],
                    "plugins": ["register_nouns"], "cron": ["register_nouns"],
                    "auth": ["prepare_request"]},
        "failed": ["broken"], "options": {"--output-format": 1, "-v": 0}}}
    assert plugins_needed(data, ["greet", "hello"]) == {"site", "plugins", "auth", "broken"}
    assert plugins_needed(data, ["--output-format", "json", "-v", "job", "status"]) == {
        "job", "auth", "broken"}
    assert plugins_needed(data, ["--unknown", "job"]) is None
    assert plugins_needed(data, ["nope"]) is None


def test_terminal_columns_agrees_with_shutil(monkeypatch) -> None:  # noqa: ANN001
    import shutil

    for value in ("77", "0", "junk"):
        monkeypatch.setenv("COLUMNS", value)
        assert terminal_columns() == shutil.get_terminal_size().columns
    monkeypatch.delenv("COLUMNS")
    assert terminal_columns() == shutil.get_terminal_size().columns
