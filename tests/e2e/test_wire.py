"""Byte compatibility with the real scheduler's API, checked with the reference IDL.

Our client's requests are decoded with a module loaded from the upstream
`api.thrift` (never our IDL; see `reference_idl` in conftest.py), and a client
built from that reference module talks to our devcluster.
"""

from __future__ import annotations

import io
import time

import pytest

from aurora.api.client import SchedulerClient
from aurora.api.transport import HttpOptions, HttpTransport, api_url
from tests.conftest import reference_idl
from tests.support.fakehttp import FakeScheduler
from tests.support.jobs import job, process


@pytest.fixture(scope="module")
def ref():
    import thriftpy2

    return thriftpy2.load(str(reference_idl()), module_name="reference_api_thrift")


def decode_call(ref, body: bytes):
    from thriftpy2.protocol import TBinaryProtocol
    from thriftpy2.transport import TMemoryBuffer

    protocol = TBinaryProtocol(TMemoryBuffer(body))
    name, kind, seqid = protocol.read_message_begin()
    args = getattr(ref.AuroraAdmin, f"{name}_args")()
    args.read(protocol)
    return name, kind, seqid, args


def test_our_requests_decode_with_the_reference_idl(ref, devcluster):
    config = job("wire", [process("p", "sleep 300")], instances=2, ports=("http",))
    with FakeScheduler(lambda n, seen: None, devcluster.url) as fake:
        client = SchedulerClient("devcluster", fake.url, HttpOptions())
        client.create_job(config)
        client.get_jobs("www-data")
        client.kill_tasks(config.key, {1}, "wire test")
        client.restart_shards(config.key, {0})
        client.get_quota("www-data")
    calls = [decode_call(ref, seen.body) for seen in fake.requests]
    assert [c[0] for c in calls] == ["createJob", "getJobs", "killTasks", "restartShards",
                                     "getQuota"]
    assert all(kind == 1 for _, kind, _, _ in calls)                     # CALL
    assert [seqid for _, _, seqid, _ in calls] == [1, 2, 3, 4, 5]   # each reply is checked
    desc = calls[0][3].description
    assert (desc.key.role, desc.key.environment, desc.key.name) == ("www-data", "test", "wire")
    assert desc.instanceCount == 2 and desc.owner.user == "tester"
    assert desc.cronCollisionPolicy == ref.CronCollisionPolicy.KILL_EXISTING
    task = desc.taskConfig
    assert task.job == desc.key and task.isService is False and task.maxTaskFailures == 1
    assert {(r.numCpus, r.ramMb, r.diskMb, r.namedPort) for r in task.resources} == {
        (0.1, None, None, None), (None, 16, None, None), (None, None, 16, None),
        (None, None, None, "http")}
    assert task.executorConfig.name == "AuroraExecutor"
    assert task.executorConfig.data == config.taskConfig.executorConfig.data
    assert task.container.mesos is not None and task.container.docker is None
    assert calls[1][3].ownerRole == "www-data"
    kill = calls[2][3]
    assert (kill.job.name, set(kill.instances), kill.message) == ("wire", {1}, "wire test")
    assert set(calls[3][3].shardIds) == {0} and calls[3][3].job.name == "wire"
    assert calls[4][3].ownerRole == "www-data"
    client = SchedulerClient("devcluster", devcluster.url)
    client.kill_tasks(config.key, None, None)


class ThriftOverPost:
    """thriftpy2's transport interface over our HttpTransport (one POST per flush)."""

    def __init__(self, http: HttpTransport):
        self.http, self.out, self.reply = http, [], io.BytesIO()

    def is_open(self) -> bool:
        return True

    def open(self) -> None:
        pass

    def close(self) -> None:
        self.http.close()

    def write(self, data: bytes) -> None:
        self.out.append(data)

    def read(self, size: int) -> bytes:
        return self.reply.read(size)

    def flush(self) -> None:
        body, self.out = b"".join(self.out), []
        self.reply = io.BytesIO(self.http.post(body, time.monotonic() + 60))


def test_a_reference_idl_client_drives_the_devcluster(ref, devcluster):
    from thriftpy2.protocol import TBinaryProtocol
    from thriftpy2.thrift import TClient
    from thriftpy2.transport import TBufferedTransport

    transport = ThriftOverPost(HttpTransport(api_url(devcluster.url), HttpOptions()))
    client = TClient(ref.AuroraAdmin, TBinaryProtocol(TBufferedTransport(transport)))
    key = ref.JobKey(role="ref-role", environment="prod", name="refjob")
    owner = ref.Identity(user="ref-user")
    task = ref.TaskConfig(
        job=key, owner=owner, isService=True, priority=0, maxTaskFailures=1, production=False,
        tier="preemptible", constraints=set(), taskLinks={}, metadata={ref.Metadata("k", "v")},
        resources={ref.Resource(numCpus=0.5), ref.Resource(ramMb=32), ref.Resource(diskMb=32)},
        executorConfig=ref.ExecutorConfig(name="AuroraExecutor", data='{"task": {'
                                          '"processes": [{"name": "p", "cmdline": "sleep 300"}'
                                          ']}}'),
        container=ref.Container(mesos=ref.MesosContainer()))
    created = client.createJob(ref.JobConfiguration(key=key, owner=owner, taskConfig=task,
                                                    instanceCount=3, cronCollisionPolicy=0))
    assert created.responseCode == ref.ResponseCode.OK
    assert created.serverInfo.clusterName == "devcluster"

    jobs = client.getJobs("ref-role")
    assert jobs.responseCode == ref.ResponseCode.OK
    (config,) = jobs.result.getJobsResult.configs
    assert config.key == key and config.instanceCount == 3 and config.owner == owner
    assert config.taskConfig.tier == "preemptible"
    assert [(m.key, m.value) for m in config.taskConfig.metadata] == [("k", "v")]

    tasks = client.getTasksWithoutConfigs(ref.TaskQuery(role="ref-role", environment="prod",
                                                        jobName="refjob"))
    found = tasks.result.scheduleStatusResult.tasks
    assert sorted(t.assignedTask.instanceId for t in found) == [0, 1, 2]
    for t in found:
        assert t.assignedTask.task.job == key and t.assignedTask.task.executorConfig is None
        assert t.taskEvents[0].status == ref.ScheduleStatus.PENDING
        assert t.assignedTask.taskId.startswith(
            f"{t.taskEvents[0].timestamp}-ref-role-prod-refjob-")

    quota = client.getQuota("ref-role").result.getQuotaResult
    used = {(r.numCpus, r.ramMb, r.diskMb) for r in quota.nonProdSharedConsumption.resources}
    assert used == {(1.5, None, None), (None, 96, None), (None, None, 96)}

    killed = client.killTasks(key, {0, 1, 2}, "reference client")
    assert killed.responseCode == ref.ResponseCode.OK
    again = client.killTasks(ref.JobKey(role="ref-role", environment="prod", name="none"),
                             None, None)
    assert [d.message for d in again.details] == ["No tasks to kill."]
    bad = client.createJob(ref.JobConfiguration(key=key, owner=owner, taskConfig=task,
                                                instanceCount=0))
    assert bad.responseCode == ref.ResponseCode.INVALID_REQUEST
    assert bad.details[0].message == "Instance count must be positive."
    transport.close()
