"""wirecheck: counts are checked against the bytes present, in time linear in the size."""

from __future__ import annotations

import struct
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aurora.api import wirecheck
from aurora.api.idl import api
from tests.support.faultproxy import scheduler_reply


def tasks_reply(count: int) -> bytes:
    from thriftpy2.protocol import TCyBinaryProtocol
    from thriftpy2.thrift import TMessageType
    from thriftpy2.transport import TCyMemoryBuffer

    a = api()
    tasks = [a.ScheduledTask(status=2, assignedTask=a.AssignedTask(
        taskId=f"task-{i}", instanceId=i, assignedPorts={"http": 8000 + i},
        task=a.TaskConfig(job=a.JobKey(role="r", environment="e", name="n"),
                          metadata={a.Metadata(key="k", value="v")})))
        for i in range(count)]
    response = a.Response(responseCode=0, result=a.Result(
        scheduleStatusResult=a.ScheduleStatusResult(tasks=tasks)))
    out = TCyMemoryBuffer()
    protocol = TCyBinaryProtocol(out)
    protocol.write_message_begin("getTasksStatus", TMessageType.REPLY, 1)
    a.AuroraAdmin.getTasksStatus_result(success=response).write(protocol)
    protocol.write_message_end()
    return out.getvalue()


def test_real_messages_pass_and_decode_through_the_reader():
    from thriftpy2.protocol import TCyBinaryProtocol

    for data in (tasks_reply(0), tasks_reply(50), scheduler_reply("getJobs", 3)):
        wirecheck.check(data)
    protocol = TCyBinaryProtocol(wirecheck.reader(tasks_reply(50)))
    protocol.read_message_begin()
    result = api().AuroraAdmin.getTasksStatus_result()
    result.read(protocol)
    assert len(result.success.result.scheduleStatusResult.tasks) == 50


@pytest.mark.parametrize("element_type,message", [
    (12, "more than the"), (11, "more than the"), (8, "more than the"),
    (1, "does not exist"), (0, "does not exist"), (99, "does not exist")])
def test_a_claimed_count_is_refused_at_once(element_type, message):
    data = bytearray(scheduler_reply("getJobs", 1))
    # the Response's first field becomes a list claiming 2**31 - 1 elements
    at = data.index(struct.pack(">bh", 12, 0)) + 3
    data[at:] = struct.pack(">bhbi", 15, 6, element_type, 2**31 - 1)
    started = time.monotonic()
    with pytest.raises(wirecheck.Malformed, match=message):
        wirecheck.check(bytes(data))
    assert time.monotonic() - started < 0.1


def test_nesting_is_bounded():
    head = scheduler_reply("getJobs", 1)
    at = head.index(struct.pack(">bh", 12, 0)) + 3
    deep = head[:at] + struct.pack(">bh", 12, 3) * 200
    with pytest.raises(wirecheck.Malformed, match="nested deeper"):
        wirecheck.check(deep)


def test_not_thrift_is_refused():
    for data in (b"", b"<html>not thrift</html>", b"\x80\x01\x00\x02" + b"\xff" * 20):
        with pytest.raises(wirecheck.Malformed):
            wirecheck.check(data)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_damage_is_a_malformed_message_or_a_valid_one(data):
    original = bytearray(tasks_reply(3))
    cut = data.draw(st.integers(0, len(original)))
    flips = data.draw(st.lists(st.tuples(st.integers(0, len(original) - 1),
                                         st.integers(0, 255)), max_size=4))
    damaged = original[:cut] if data.draw(st.booleans()) else original
    for where, value in flips:
        if where < len(damaged):
            damaged[where] = value
    try:
        wirecheck.check(bytes(damaged))
    except wirecheck.Malformed:
        pass
