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
    assert now.line(3, 2000) == ("[3s] ROLLING_FORWARD 1/4 updated, failed: 2, batch 1: "
                                 "instance 1 in the batch for 1 s")
    back = snapshot(details("ROLLING_BACK", [(1, "INSTANCE_ROLLING_BACK"),
                                             (1, "INSTANCE_ROLLED_BACK")], only=[(1, 2)]))
    assert back.total == 2 and back.updated == [1]
    assert back.line(0, 0) == "[0s] ROLLING_BACK 1/2 rolled back"


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
    assert Snapshot("ROLLED_FORWARD", 0).line(0, 0) == "[0s] ROLLED_FORWARD 0/0 updated"


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_watch_redraws_one_line_on_a_terminal_and_logs_changes_otherwise():
    first = snapshot(details("ROLLING_FORWARD", [(0, "INSTANCE_UPDATING")], desired=(0, 1)))
    second = snapshot(details("ROLLED_FORWARD", [(0, "INSTANCE_UPDATING"),
                                                 (0, "INSTANCE_UPDATED")], desired=(0, 0)))
    tty = Tty()
    watch = Watch(tty, wall=lambda: 0)
    assert watch.show(first) and not watch.show(first) and watch.show(second)
    watch.close()
    assert tty.getvalue() == (
        "\r[0s] ROLLING_FORWARD 0/2 updated, batch 0: instance 0 in the batch for 0 s"
        "\r[0s] ROLLED_FORWARD 1/1 updated" + " " * 43 + "\n")
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


class FakeTime:
    """A clock that moves only when slept on (monotonic and wall alike)."""

    def __init__(self, wall: float = 1000.0) -> None:
        self.now = 0.0
        self.wall0 = wall
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.wall0 + self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def watching(events, watch_ms=45000, status="ROLLING_FORWARD"):
    """A snapshot whose events happen at the given seconds after 1000 s of wall time."""
    found = details(status, [(i, act) for i, act, _ in events], desired=(0, 5))
    for event, (_, _, at) in zip(found.instanceEvents, events, strict=True):
        event.timestampMs = int((1000 + at) * 1000)
    found.update.instructions.settings.minWaitInInstanceRunningMs = watch_ms
    found.instanceEvents[-1].message = "health check failed 3 times" if (
        events[-1][1] == "INSTANCE_UPDATE_FAILED") else None
    return snapshot(found)


def test_progress_line_says_how_long_the_batch_has_been_watched():
    now = watching([(0, "INSTANCE_UPDATING", 0), (0, "INSTANCE_UPDATED", 50),
                    (2, "INSTANCE_UPDATING", 51), (3, "INSTANCE_UPDATING", 52)])
    assert (now.watch_ms, now.since) == (45000, {2: 1051000, 3: 1052000})
    assert now.line(64, 1064_500) == ("[1m04s] ROLLING_FORWARD 1/6 updated, batch 2-3: "
                                      "instance 3 watching 12/45 s")
    assert now.line(120, 1120_000).endswith("batch 2-3: instance 3 in the batch for 68 s")
    assert now.line(0, 0).endswith("instance 3 watching 0/45 s")     # a clock behind: 0
    unwatched = watching([(1, "INSTANCE_UPDATING", 0)], watch_ms=0)
    assert unwatched.line(4, 1004_000).endswith("batch 1: instance 1 in the batch for 4 s")
    back = watching([(1, "INSTANCE_ROLLING_BACK", 0)], status="ROLLING_BACK")
    assert back.line(7200, 1003_000) == ("[2h00m00s] ROLLING_BACK 0/6 rolled back, batch 1: "
                                         "instance 1 watching 3/45 s")
    held = watching([(1, "INSTANCE_UPDATED", 0)], status="ROLL_FORWARD_AWAITING_PULSE")
    assert held.line(5, 0) == "[5s] ROLL_FORWARD_AWAITING_PULSE 1/6 updated; waiting for a pulse"
    paused = watching([(1, "INSTANCE_UPDATED", 0)], status="ROLL_FORWARD_PAUSED")
    assert paused.line(5, 0).endswith("; paused until aurora update resume")


def test_the_line_moves_every_second_between_polls_on_a_terminal_only():
    clock = FakeTime()
    now = watching([(0, "INSTANCE_UPDATING", 0)], watch_ms=10000)
    tty = Tty()
    watch = Watch(tty, wall=clock.wall, clock=clock.monotonic, sleep=clock.sleep)
    watch.show(now)
    watch.pause(2.5)                            # a slow poll: three redraws meanwhile
    assert clock.sleeps == [1.0, 1.0, 0.5]
    shown = [part.rstrip() for part in tty.getvalue().split("\r") if part]
    assert [part.split("] ")[0] for part in shown] == ["[0s", "[1s", "[2s"]
    assert shown[-1].endswith("instance 0 watching 2/10 s")   # [2.5s] draws as [2s] too
    plain, clock = io.StringIO(), FakeTime()
    watch = Watch(plain, wall=clock.wall, clock=clock.monotonic, sleep=clock.sleep)
    watch.show(now)
    watch.pause(2.5)
    assert clock.sleeps == [2.5]                # off a terminal: one sleep, no lines
    assert plain.getvalue() == "Current state ROLLING_FORWARD\n  instance 0: INSTANCE_UPDATING\n"


def test_a_failed_instance_says_what_the_scheduler_said_and_stays_above_the_line():
    failed = watching([(4, "INSTANCE_UPDATING", 0), (4, "INSTANCE_UPDATE_FAILED", 9)])
    plain = io.StringIO()
    Watch(plain).show(failed)
    assert plain.getvalue().splitlines()[-1] == (
        "  instance 4: INSTANCE_UPDATE_FAILED (health check failed 3 times)")
    tty, clock = Tty(), FakeTime()
    watch = Watch(tty, wall=clock.wall, clock=clock.monotonic, sleep=clock.sleep)
    watch.show(watching([(4, "INSTANCE_UPDATING", 0)]))
    watch.show(failed)
    watch.close()
    first, after, end = tty.getvalue().split("\n")
    assert first.split("\r")[-1] == (
        "  instance 4: INSTANCE_UPDATE_FAILED (health check failed 3 times)")
    assert after.split("\r")[-1].rstrip() == "[0s] ROLLING_FORWARD 0/6 updated, failed: 4"
    assert end == ""


def test_elapsed_text():
    from aurora.output import elapsed_text

    assert [elapsed_text(s) for s in (0, 7.9, 65, 3600 + 189, -3)] == [
        "0s", "7s", "1m05s", "1h03m09s", "0s"]
