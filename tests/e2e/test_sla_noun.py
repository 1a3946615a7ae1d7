"""`aurora sla` figures against task events whose timestamps the test chooses.

A scripted scheduler answers getTasksWithoutConfigs with tasks that started
RUNNING a known number of seconds before the request, so every percentage and
percentile is known in advance (the uptimes are far from every boundary, so a
slow machine cannot move a figure across one).
"""

from __future__ import annotations

import json
import re
import time

import pytest

from aurora.api.idl import api
from tests.support.fakehttp import FakeScheduler

UPTIMES = [30, 300, 1800, 7200, 100_000]       # seconds since RUNNING, instances 0-4
KEY = "fake/www-data/prod/web"


def task(instance: int, running_for: int | None, now_ms: int) -> object:
    a, s = api(), api().ScheduleStatus
    events = [a.TaskEvent(timestamp=now_ms - 200_000_000, status=s.PENDING)]
    if running_for is not None:
        events += [a.TaskEvent(timestamp=now_ms - running_for * 1000, status=s.RUNNING),
                   a.TaskEvent(timestamp=now_ms - running_for * 500, status=s.RUNNING)]
    return a.ScheduledTask(
        assignedTask=a.AssignedTask(taskId=f"t{instance}", slaveHost="h", instanceId=instance,
                                    task=a.TaskConfig()),
        status=s.RUNNING if running_for is not None else s.PENDING, taskEvents=events)


def reply(tasks: list, code: int | None = None) -> bytes:
    from thriftpy2.protocol import TBinaryProtocol
    from thriftpy2.thrift import TMessageType
    from thriftpy2.transport import TMemoryBuffer

    a = api()
    response = a.Response(responseCode=a.ResponseCode.OK if code is None else code,
                          details=[a.ResponseDetail(message="no such thing")],
                          result=a.Result(scheduleStatusResult=a.ScheduleStatusResult(
                              tasks=tasks)))
    out = TMemoryBuffer()
    protocol = TBinaryProtocol(out)
    protocol.write_message_begin("getTasksWithoutConfigs", TMessageType.REPLY, 1)  # call 1
    a.AuroraAdmin.getTasksWithoutConfigs_result(success=response).write(protocol)
    protocol.write_message_end()
    return out.getvalue()


@pytest.fixture
def sla_home(home):
    def answer(n, seen):
        now_ms = int(time.time() * 1000)
        tasks = [task(i, up, now_ms) for i, up in enumerate(UPTIMES)]
        return 200, reply([*tasks, task(5, None, now_ms)])    # 5: not RUNNING yet
    with FakeScheduler(answer) as fake:
        home.write_clusters([{"name": "fake", "scheduler_uri": fake.url}])
        home.fake = fake
        yield home


def test_task_up_count(sla_home):
    done = sla_home.run("sla", "get-task-up-count", KEY)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ("1 mins\t- 80.00 %\n10 mins\t- 60.00 %\n1 hrs\t- 40.00 %\n"
                           "12 hrs\t- 20.00 %\n7 days\t- 0.00 %\n")
    custom = sla_home.run("sla", "get-task-up-count", "--durations", "90s,2d,10s", KEY,
                          "--write-json")
    data = json.loads(custom.stdout)
    assert data["instances"] == 5
    assert [(r["duration"], r["duration_seconds"], r["percentage"])
            for r in data["up_counts"]] == [("10 secs", 10, 100.0), ("90 secs", 90, 80.0),
                                            ("2 days", 172800, 0.0)]
    assert len(sla_home.fake.requests) == 2


def test_job_uptime(sla_home):
    done = sla_home.run("sla", "get-job-uptime", KEY)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    # sorted uptimes [30, 300, 1800, 7200, 100000]; index = 5 - floor(p/100*5) - 1
    expected = {99: 30, 95: 30, 90: 30, 85: 30, 75: 300, 60: 300, 50: 1800, 30: 7200,
                10: 100_000}
    assert [line.split(" ")[0] for line in lines] == [f"{p}.0" for p in expected]
    for line, (percentile, uptime) in zip(lines, expected.items(), strict=True):
        match = re.fullmatch(rf"{percentile}\.0 percentile\t- (\d+)\.0 seconds", line)
        assert match, line
        assert uptime <= int(match.group(1)) <= uptime + 30     # the seconds the test took
    custom = json.loads(sla_home.run("sla", "get-job-uptime", "--percentiles", "50,99.5",
                                     KEY, "--write-json").stdout)
    assert [r["percentile"] for r in custom["uptimes"]] == [99.5, 50.0]
    assert 1800 <= custom["uptimes"][1]["uptime_seconds"] <= 1830


@pytest.mark.parametrize("argv, message", [
    (("get-task-up-count", "--durations", "5x"), "invalid duration '5x'"),
    (("get-task-up-count", "--durations", "1m,,1h"), "invalid duration ''"),
    (("get-task-up-count", "--durations", "0s"), "invalid duration '0s'"),
    (("get-job-uptime", "--percentiles", "100"), "invalid percentile '100'"),
    (("get-job-uptime", "--percentiles", "50,abc"), "invalid percentile 'abc'"),
    (("get-job-uptime", "--percentiles", "0"), "invalid percentile '0'"),
])
def test_bad_lists_are_one_line_exit_6(home, argv, message):
    done = home.run("sla", *argv, "devcluster/www-data/prod/web")
    assert done.returncode == 6 and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_scheduler_refusal_is_exit_10(home):
    answer = (200, reply([], api().ResponseCode.INVALID_REQUEST))
    with FakeScheduler(lambda n, seen: answer) as fake:
        home.write_clusters([{"name": "fake", "scheduler_uri": fake.url}])
        done = home.run("sla", "get-job-uptime", KEY)
    assert done.returncode == 10
    assert f"Error retrieving the tasks of {KEY}: no such thing" in done.stderr
