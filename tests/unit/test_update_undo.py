"""The pure parts of `update undo`, `update info --diff` and `update abort`'s count."""

from __future__ import annotations

import pytest

from aurora.api.idl import api
from aurora.errors import CommandFailure
from aurora.jobkey import JobKey
from aurora.plugins.update.abort import meant_to_run
from aurora.plugins.update.info import config_diff
from aurora.plugins.update.undo import plan, undo_request

KEY = JobKey("devcluster", "www-data", "test", "svc")


def group(task, *ranges):
    a = api()
    return a.InstanceTaskConfig(task=task, instances={a.Range(first=f, last=t) for f, t in ranges})


def update(status, initial, desired=None, events=(), pulses=None):
    a = api()
    s = a.JobUpdateStatus._NAMES_TO_VALUES
    settings = a.JobUpdateSettings(updateGroupSize=2, minWaitInInstanceRunningMs=5000,
                                   blockIfNoPulsesAfterMs=pulses,
                                   updateOnlyTheseInstances={a.Range(first=0, last=9)})
    summary = a.JobUpdateSummary(key=a.JobUpdateKey(id="u-1"),
                                 state=a.JobUpdateState(status=s[status]))
    return a.JobUpdateDetails(
        update=a.JobUpdate(summary=summary, instructions=a.JobUpdateInstructions(
            initialState=set(initial), desiredState=desired, settings=settings)),
        updateEvents=[a.JobUpdateEvent(status=s[e]) for e in events])


def configs():
    a = api()
    return a.TaskConfig(priority=0), a.TaskConfig(priority=1), a.TaskConfig(priority=2)


def test_one_group_per_earlier_config_in_instance_order_and_added_ones_left():
    v1, v2, v3 = configs()
    found = update("ROLLED_FORWARD", [group(v2, (1, 1)), group(v1, (0, 0), (3, 3))],
                   desired=group(v3, (0, 4)))
    todo = plan(KEY, found)
    assert [(task.priority, ids) for task, ids in todo.groups] == [(0, [0, 3]), (1, [1])]
    assert todo.added == [2, 4] and todo.update_id == "u-1"


def test_the_request_keeps_the_settings_scopes_the_instances_and_drops_pulses():
    v1, v2, _ = configs()
    found = update("ABORTED", [group(v1, (0, 1), (5, 5))], desired=group(v2, (0, 5)),
                   pulses=60_000)
    request = undo_request(found, v1, [0, 1, 5], "client-id")
    a = api()
    assert request.instanceCount == 6 and request.taskConfig is v1
    assert request.settings.updateOnlyTheseInstances == {a.Range(first=0, last=1),
                                                         a.Range(first=5, last=5)}
    assert (request.settings.updateGroupSize, request.settings.minWaitInInstanceRunningMs,
            request.settings.blockIfNoPulsesAfterMs) == (2, 5000, None)
    assert found.update.instructions.settings.blockIfNoPulsesAfterMs == 60_000  # a copy
    assert {(m.key, m.value) for m in request.metadata} == {
        ("org.apache.aurora.client.update_id", "client-id"),
        ("org.apache.aurora.client.undo_of", "u-1")}


@pytest.mark.parametrize("status", ["ROLLING_FORWARD", "ROLL_BACK_PAUSED",
                                    "ROLL_FORWARD_AWAITING_PULSE"])
def test_an_active_update_is_refused(status):
    v1, v2, _ = configs()
    with pytest.raises(CommandFailure, match=f"is still {status}: only an update that has "
                                             "ended can be undone"):
        plan(KEY, update(status, [group(v1, (0, 0))], desired=group(v2, (0, 0))))


def test_an_update_that_only_added_is_refused_naming_the_kill():
    _, v2, _ = configs()
    with pytest.raises(CommandFailure) as refused:
        plan(KEY, update("ROLLED_FORWARD", [], desired=group(v2, (2, 3))))
    assert refused.value.exit_code == 4
    assert "aurora job kill devcluster/www-data/test/svc/2-3" in str(refused.value)


def test_info_diff_lists_added_removed_and_each_earlier_config(monkeypatch):
    from aurora.plugins.job import diff as job_diff

    monkeypatch.setattr(job_diff, "external_diff", lambda old, new: f"{len(old)} vs {len(new)}\n")
    v1, v2, v3 = configs()
    found = update("ROLLED_FORWARD", [group(v2, (1, 1)), group(v1, (0, 0), (4, 4))],
                   desired=group(v3, (0, 2)))
    data = config_diff(found.update.instructions)
    assert (data["add"], data["remove"], data["update"]) == ([[2, 2]], [[4, 4]],
                                                             [[0, 0], [1, 1]])
    assert data["text"].startswith("Configuration diff:\nadd instances: [2]\n"
                                   "remove instances: [4]\nupdate instances: [0]\n"
                                   "with diff:\n\n")
    assert "update instances: [1]\nwith diff:\n\n" in data["text"]
    removal = config_diff(update("ROLLED_FORWARD", [group(v1, (3, 4))]).update.instructions)
    assert removal["text"] == "Configuration diff:\nremove instances: [3-4]\n"


def test_abort_counts_the_instances_the_direction_keeps():
    v1, v2, _ = configs()
    initial, desired = [group(v1, (0, 2))], group(v2, (0, 1), (5, 5))
    forward = update("ABORTED", initial, desired, events=("ROLLING_FORWARD", "ABORTED"))
    assert meant_to_run(forward) == {0, 1, 5}
    back = update("ABORTED", initial, desired,
                  events=("ROLLING_FORWARD", "ROLLING_BACK", "ABORTED"))
    assert meant_to_run(back) == {0, 1, 2}


def test_undo_stops_at_a_group_that_does_not_roll_forward(monkeypatch):
    from types import SimpleNamespace as NS

    from aurora.plugins.update import undo

    v1, v2, v3 = configs()
    found = update("ROLLED_FORWARD", [group(v1, (0, 0)), group(v2, (1, 2))],
                   desired=group(v3, (0, 2)))
    monkeypatch.setattr(undo, "details", lambda context, key, target: found)
    started = []

    def restore(self, context, key, found, task, ids, wait):
        started.append((ids, wait))
        return {"instances": ids, "status": "ROLLED_BACK"}, "Current state ROLLED_BACK\n", 4
    monkeypatch.setattr(undo.UndoUpdate, "restore", restore)
    said: list[str] = []
    context = NS(options=NS(jobspec=KEY, id="u-1", wait=False, no_diff=True),
                 output_format="json", print_stderr=said.append)
    result = undo.UndoUpdate().execute(context)
    assert started == [([0], True)]                   # the first group, waited for; no second
    assert result.exit_code == 4 and result.data["updates"] == [
        {"instances": [0], "status": "ROLLED_BACK"}]
    assert said == ["aurora: undo stopped: instance(s) 1-2 not restored; once the cause is "
                    "fixed run again: aurora update undo devcluster/www-data/test/svc u-1"]
