"""The update noun's pure parts: settings from update_config, progress, preview, filters."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace as NS

import pytest

from aurora.api.idl import api
from aurora.config.job import load_job
from aurora.errors import ConfigurationError
from aurora.jobkey import JobKey
from aurora.output import StatusLine
from aurora.plugins.update.common import Snapshot, Watch, ours, preview, snapshot
from aurora.plugins.update.info import info_text
from aurora.plugins.update.list import chosen_statuses, query_for
from aurora.plugins.update.start import update_settings

KEY = JobKey("devcluster", "www-data", "test", "svc")


def settings_for(tmp_path: Path, update_config: str, instances=None, count: int = 4):
    path = tmp_path / "job.aurora"
    path.write_text(f"""
jobs = [Service(cluster='devcluster', role='www-data', environment='test', name='svc',
  instances={count}, update_config=UpdateConfig({update_config}),
  task=Task(processes=[Process(name='p', cmdline='sleep 1')],
            resources=Resources(cpu=0.1, ram=16*MB, disk=16*MB)))]
""")
    return update_settings(load_job(str(path), KEY), instances)


def test_defaults_are_a_queue_of_one_with_upstream_values(tmp_path):
    s = settings_for(tmp_path, "")
    assert (s.updateGroupSize, s.maxPerInstanceFailures, s.maxFailedInstances,
            s.minWaitInInstanceRunningMs, s.rollbackOnFailure, s.waitForBatchCompletion,
            s.slaAware) == (1, 0, 0, 45000, True, False, False)
    assert s.updateStrategy.queueStrategy.groupSize == 1
    assert s.blockIfNoPulsesAfterMs is None and s.updateOnlyTheseInstances is None


def test_fields_map_to_settings(tmp_path):
    s = settings_for(tmp_path, "batch_size=3, watch_secs=7, max_per_shard_failures=2, "
                               "max_total_failures=1, rollback_on_failure=False, "
                               "wait_for_batch_completion=True, pulse_interval_secs=60, "
                               "sla_aware=True", instances=(0, 1, 2, 5, 8, 9))
    assert (s.updateGroupSize, s.maxPerInstanceFailures, s.maxFailedInstances,
            s.minWaitInInstanceRunningMs, s.rollbackOnFailure, s.waitForBatchCompletion,
            s.blockIfNoPulsesAfterMs, s.slaAware) == (3, 2, 1, 7000, False, True, 60000, True)
    assert s.updateStrategy.batchStrategy.groupSize == 3
    assert sorted((r.first, r.last) for r in s.updateOnlyTheseInstances) == [
        (0, 2), (5, 5), (8, 9)]


def test_explicit_strategies(tmp_path):
    s = settings_for(tmp_path, "update_strategy=BatchUpdateStrategy(batch_size=2, "
                               "autopause_after_batch=True)")
    assert s.updateGroupSize == 2 and s.waitForBatchCompletion
    assert (s.updateStrategy.batchStrategy.groupSize,
            s.updateStrategy.batchStrategy.autopauseAfterBatch) == (2, True)
    s = settings_for(tmp_path, "update_strategy=QueueUpdateStrategy(batch_size=3)")
    assert s.updateGroupSize == 3 and s.updateStrategy.queueStrategy.groupSize == 3
    s = settings_for(tmp_path, "update_strategy=VariableBatchUpdateStrategy(batch_sizes=[1,3])")
    assert s.updateStrategy.varBatchStrategy.groupSizes == [1, 3] and s.updateGroupSize == 1


@pytest.mark.parametrize("fields, named", [
    ("pulse_interval_secs=10", "pulse_interval_secs must be at least 60"),
    ("wait_for_batch_completion=True, update_strategy=QueueUpdateStrategy(batch_size=2)",
     "wait_for_batch_completion cannot be combined with update_strategy"),
    ("batch_size=2, update_strategy=QueueUpdateStrategy(batch_size=2)",
     "batch_size cannot be combined with update_strategy"),
    ("update_strategy=VariableBatchUpdateStrategy(batch_sizes=[2, 0])",
     "update_strategy.batch_sizes must be positive"),
    ("update_strategy=BatchUpdateStrategy(batch_size=0)",
     "update_strategy.batch_size must be greater than 0"),
    ("max_per_shard_failures=-1", "max_per_shard_failures must be at least 0"),
])
def test_invalid_update_config_is_exit_3_naming_the_field(tmp_path, fields, named):
    with pytest.raises(ConfigurationError) as caught:
        settings_for(tmp_path, fields)
    assert caught.value.exit_code == 3
    assert "invalid update_config" in str(caught.value) and named in str(caught.value)


def group(*ranges):
    a = api()
    return a.ConfigGroup(instances={a.Range(first=f, last=t) for f, t in ranges})


def test_preview_prints_each_kind_once_in_upstream_words():
    diff = NS(add=[group((10, 10), (12, 14))], remove=[group((4, 5))], update=[group((0, 1))],
              unchanged=[])
    text, data = preview(diff)
    assert text == ("This job update will:\nadd instances: [10], [12-14]\n"
                    "remove instances: [4-5]\nupdate instances: [0-1]\n")
    assert data == {"add": [[10, 10], [12, 14]], "remove": [[4, 5]], "update": [[0, 1]],
                    "unchanged": []}


def details(status: str, events, desired=(0, 3), only=None):
    a = api()
    s = a.JobUpdateStatus._NAMES_TO_VALUES[status]
    settings = a.JobUpdateSettings(updateOnlyTheseInstances={
        a.Range(first=f, last=t) for f, t in only} if only else None)
    instructions = a.JobUpdateInstructions(
        initialState=set(), settings=settings,
        desiredState=a.InstanceTaskConfig(instances={a.Range(first=desired[0],
                                                             last=desired[1])}))
    summary = a.JobUpdateSummary(state=a.JobUpdateState(status=s))
    return a.JobUpdateDetails(
        update=a.JobUpdate(summary=summary, instructions=instructions),
        instanceEvents=[a.JobInstanceUpdateEvent(
            instanceId=i, timestampMs=n, action=a.JobUpdateAction._NAMES_TO_VALUES[act])
            for n, (i, act) in enumerate(events)])


def test_snapshot_counts_updated_failed_and_in_flight():
    now = snapshot(details("ROLLING_FORWARD", [
        (0, "INSTANCE_UPDATING"), (0, "INSTANCE_UPDATED"), (1, "INSTANCE_UPDATING"),
        (2, "INSTANCE_UPDATING"), (2, "INSTANCE_UPDATE_FAILED")]))
    assert (now.total, now.updated, now.failed, now.batch) == (4, [0], [2], [1])
    assert now.line() == ("ROLLING_FORWARD: 1/4 instances updated, failed: 2, "
                          "current batch: 1")
    back = snapshot(details("ROLLING_BACK", [(1, "INSTANCE_ROLLING_BACK"),
                                             (1, "INSTANCE_ROLLED_BACK")], only=[(1, 2)]))
    assert back.total == 2 and back.updated == [1]
    assert "1/2 instances rolled back" in back.line()


def test_status_line_redraws_on_a_terminal_and_prints_lines_otherwise():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    line = StatusLine(tty)
    line.show("ROLLING_FORWARD: 0/2")
    line.show("ROLLING_FORWARD: 0/2")
    line.show("ROLLED: 2/2")
    line.close()
    assert tty.getvalue() == "\rROLLING_FORWARD: 0/2\rROLLED: 2/2         \n"
    plain = io.StringIO()
    line = StatusLine(plain)
    line.show("a")
    line.show("a")
    line.note("b")
    line.close()
    assert plain.getvalue() == "a\nb\n"


def test_status_groups_and_queries():
    a = api()
    names = a.JobUpdateStatus._NAMES_TO_VALUES
    assert chosen_statuses(None) is None
    assert chosen_statuses(["paused", "ROLLED_FORWARD"]) == {
        names["ROLL_FORWARD_PAUSED"], names["ROLL_BACK_PAUSED"], names["ROLLED_FORWARD"]}
    assert len(chosen_statuses(["all"])) == 11
    assert chosen_statuses(["failed"]) == {names["ERROR"], names["FAILED"],
                                           names["ROLLED_BACK"]}
    from aurora.jobkey import parse_partial_key

    exact = query_for(parse_partial_key("devcluster/www-data/test/svc"), None, "alice")
    assert exact.jobKey.name == "svc" and exact.role is None and exact.user == "alice"
    assert query_for(parse_partial_key("devcluster/www-data"), None, None).role == "www-data"
    assert query_for(parse_partial_key("devcluster/www-*"), None, None).role is None


def test_list_is_a_table_aligned_for_long_states():
    from aurora.output import Result
    from aurora.plugins.formats import render_text
    from aurora.plugins.update.list import COLUMNS

    rows = [{"job": "devcluster/www-data/test/svc", "id": "u1",
             "status": "ROLL_FORWARD_AWAITING_PULSE", "user": "alice",
             "started": "2026-01-01T00:00:00", "last_modified": "2026-01-01T00:00:09"},
            {"job": "devcluster/www-data/test/svc", "id": "u2", "status": "ROLLED_FORWARD",
             "user": "bob", "started": "2026-01-02T00:00:00",
             "last_modified": "2026-01-02T00:00:09"}]
    lines = render_text(Result(data=rows, columns=list(COLUMNS))).splitlines()
    assert lines[0].split() == ["JOB", "ID", "STATUS", "USER", "STARTED", "LAST_MODIFIED"]
    starts = {line.index(user) for line, user in zip(lines[1:], ["alice", "bob"], strict=True)}
    assert len(starts) == 1, "the user column starts at one place whatever the state's length"


def test_info_text():
    data = {"job": "devcluster/www-data/test/svc", "updateId": "u1",
            "started": "2026-01-01T00:00:00", "last_modified": "2026-01-01T00:00:09",
            "status": "ROLLED_FORWARD", "update_events": [], "instance_update_events": [
                {"instance": 0, "timestamp": 0, "action": "INSTANCE_UPDATED"}],
            "metadata": []}
    assert info_text(data) == (
        "Job: devcluster/www-data/test/svc, UpdateID: u1\n"
        "Started 2026-01-01T00:00:00, last activity: 2026-01-01T00:00:09\n"
        "Current status: ROLLED_FORWARD\nInstance events:\n"
        "  Instance 0 at 1970-01-01T00:00:00: INSTANCE_UPDATED\n")


def test_a_refused_retry_is_ours_only_with_our_id():
    a = api()

    def refused(value):
        summary = a.JobUpdateSummary(metadata={a.Metadata(
            key="org.apache.aurora.client.update_id", value=value)})
        return a.Response(result=a.Result(startJobUpdateResult=a.StartJobUpdateResult(
            updateSummary=summary)))

    assert ours(refused("mine"), "mine")
    assert not ours(refused("theirs"), "mine")
    assert not ours(a.Response(), "mine")
    assert isinstance(Snapshot("ROLLED_FORWARD", 0).line(), str)


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_watch_redraws_one_line_on_a_terminal_and_logs_changes_otherwise():
    first = snapshot(details("ROLLING_FORWARD", [(0, "INSTANCE_UPDATING")], desired=(0, 1)))
    second = snapshot(details("ROLLED_FORWARD", [(0, "INSTANCE_UPDATING"),
                                                 (0, "INSTANCE_UPDATED")], desired=(0, 0)))
    tty = Tty()
    watch = Watch(tty)
    assert watch.show(first) and not watch.show(first) and watch.show(second)
    watch.close()
    assert tty.getvalue() == (
        "\rROLLING_FORWARD: 0/2 instances updated, failed: none, current batch: 0"
        "\rROLLED_FORWARD: 1/1 instances updated, failed: none, current batch: none\n")
    plain = io.StringIO()
    watch = Watch(plain)
    watch.show(first)
    watch.show(first)
    watch.show(second)
    watch.close()
    assert plain.getvalue() == ("Current state ROLLING_FORWARD\n  instance 0: INSTANCE_UPDATING\n"
                                "Current state ROLLED_FORWARD\n  instance 0: INSTANCE_UPDATED\n")


def test_instances_whose_config_does_not_change_are_not_counted():
    a = api()
    old, new = a.TaskConfig(priority=0), a.TaskConfig(priority=1)
    found = details("ROLLING_FORWARD", [], desired=(0, 2))
    found.update.instructions.desiredState.task = new
    found.update.instructions.initialState = [
        a.InstanceTaskConfig(task=new, instances={a.Range(first=0, last=1)}),
        a.InstanceTaskConfig(task=old, instances={a.Range(first=3, last=3)})]
    assert snapshot(found).total == 2          # 2 added, 3 removed; 0 and 1 stay as they are
