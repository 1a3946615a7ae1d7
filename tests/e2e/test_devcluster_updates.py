"""The devcluster's job-update engine and health checks, driven through the thrift API."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from aurora.api.client import SchedulerError
from aurora.api.idl import api, status_name
from tests.support.devcluster import Devcluster, task_python, wait_for
from tests.support.jobs import job, process, statuses, tasks_of

CLIENT_ID = "org.apache.aurora.client.update_id"
SERVER = r"""exec {python} - {{{{thermos.ports[health]}}}} {answer} <<'EOF'
import http.server, os, sys
port = int(sys.argv[1])
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):   # answers its argument, or what the file 'answer' says once it exists
        answer = open('answer', 'rb').read() if os.path.exists('answer') else sys.argv[2].encode()
        self.send_response(200)
        self.send_header('Content-Length', str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
    def log_message(self, *args):
        pass
http.server.HTTPServer(('127.0.0.1', port), Handler).serve_forever()
EOF"""
FAST_HEALTH = {"initial_interval_secs": 0.3, "interval_secs": 0.3, "timeout_secs": 1,
               "max_consecutive_failures": 0, "min_consecutive_successes": 1,
               "health_checker": {"http": {"endpoint": "/health", "expected_response": "ok",
                                           "expected_response_code": 200}}}


def health_job(answer: str, name: str = "web", instances: int = 2) -> object:
    config = job(name, [process("server", SERVER.format(python=task_python(), answer=answer))],
                 instances=instances, service=True, ports=("health",))
    data = json.loads(config.taskConfig.executorConfig.data)
    data["health_check_config"] = FAST_HEALTH
    data["task"]["processes"][0]["name"] = f"server-{answer}"   # a different config per answer
    config.taskConfig.executorConfig.data = json.dumps(data)
    return config


def sim_job(name: str = "sim", instances: int = 3, priority: int = 0) -> object:
    config = job(name, [process("p", "sleep 300")], instances=instances, service=True)
    config.taskConfig.priority = priority
    return config


def settings(**overrides: object) -> object:
    values = {"updateGroupSize": 1, "maxPerInstanceFailures": 0, "maxFailedInstances": 0,
              "minWaitInInstanceRunningMs": 0, "rollbackOnFailure": True,
              "waitForBatchCompletion": False, **overrides}
    return api().JobUpdateSettings(**values)


def request(config: object, instances: int | None = None, client_id: str = "id-1",
            **overrides: object) -> object:
    a = api()
    return a.JobUpdateRequest(taskConfig=config.taskConfig,
                              instanceCount=instances or config.instanceCount,
                              settings=settings(**overrides),
                              metadata={a.Metadata(key=CLIENT_ID, value=client_id)})


def raw(client: object, method: str, *args: object) -> object:
    """The scheduler's Response, whatever its code."""
    try:
        return client.call(method, *args)
    except SchedulerError as exc:
        return exc.response


def start(client: object, req: object) -> object:
    return client.call("startJobUpdate", req, "deploy").result.startJobUpdateResult.key


def details(client: object, key: object) -> object:
    return client.call("getJobUpdateDetails", key, None).result.getJobUpdateDetailsResult.details


def status_of(client: object, key: object) -> str:
    status = details(client, key).update.summary.state.status
    return api().JobUpdateStatus._VALUES_TO_NAMES[status]


def wait_status(client: object, key: object, *wanted: str, timeout: float = 60) -> str:
    return wait_for(lambda: status_of(client, key) in wanted and status_of(client, key),
                    timeout=timeout, what=f"update in {wanted}")


def instance_events(client: object, key: object) -> list[tuple[int, str]]:
    names = api().JobUpdateAction._VALUES_TO_NAMES
    return [(e.instanceId, names[e.action]) for e in details(client, key).instanceEvents]


def kill_job(client: object, config: object) -> None:
    """Kill the job's tasks and wait until none is active (a test cleans up after itself)."""
    client.kill_tasks(config.key, None, "done")
    wait_for(lambda: not tasks_of(client, config, active_only=True), what="job gone")


def active_configs(client: object, config: object) -> set[str]:
    query = api().TaskQuery(jobKeys=[config.key], statuses=set(api().ACTIVE_STATES))
    return {t.assignedTask.task.executorConfig.data for t in client.get_tasks_status(query)}


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory):
    cluster = Devcluster(tmp_path_factory.mktemp("sim"), executor="simulate").start()
    yield cluster
    cluster.stop()


# -- health-checked updates on real processes ------------------------------------------
def test_health_checked_update_rolls_forward(devcluster):
    client = devcluster.client()
    old = health_job("ok")
    client.create_job(old)
    wait_for(lambda: statuses(client, old) == ["RUNNING", "RUNNING"], what="healthy tasks")
    running = [e for e in tasks_of(client, old)[0].taskEvents if e.status == 2]
    assert "health check passed" in running[0].message
    new = health_job("OK")          # a new config whose check still passes (case-insensitive)
    key = start(client, request(new))
    assert wait_status(client, key, "ROLLED_FORWARD", "FAILED", "ROLLED_BACK") == \
        "ROLLED_FORWARD"
    assert instance_events(client, key) == [
        (0, "INSTANCE_UPDATING"), (0, "INSTANCE_UPDATED"),
        (1, "INSTANCE_UPDATING"), (1, "INSTANCE_UPDATED")]
    assert active_configs(client, old) == {new.taskConfig.executorConfig.data}
    events = details(client, key).updateEvents
    assert [e.status for e in events] == [0, 4] and events[0].message == "deploy"
    kill_job(client, old)


@pytest.mark.parametrize(("rollback", "outcome"), [(True, "ROLLED_BACK"), (False, "FAILED")])
def test_failing_health_check_fails_or_rolls_back(devcluster, rollback, outcome):
    client = devcluster.client()
    name = f"web-{outcome.lower()}"
    old = health_job("ok", name)
    client.create_job(old)
    wait_for(lambda: statuses(client, old) == ["RUNNING", "RUNNING"], what="healthy tasks")
    key = start(client, request(health_job("sick", name), rollbackOnFailure=rollback))
    assert wait_status(client, key, "ROLLED_FORWARD", "FAILED", "ROLLED_BACK") == outcome
    events = instance_events(client, key)
    assert events[:2] == [(0, "INSTANCE_UPDATING"), (0, "INSTANCE_UPDATE_FAILED")]
    if rollback:
        assert events[2:] == [(0, "INSTANCE_ROLLING_BACK"), (0, "INSTANCE_ROLLED_BACK")]
        wait_for(lambda: active_configs(client, old) == {old.taskConfig.executorConfig.data},
                 what="old version back")
    failed = [t for t in tasks_of(client, old) if t.status == api().ScheduleStatus.FAILED]
    assert failed and "health check" in failed[0].taskEvents[-1].message
    assert [status_name(e.status) for e in failed[0].taskEvents] == \
        ["PENDING", "ASSIGNED", "STARTING", "FAILED"]      # never RUNNING: never healthy
    kill_job(client, old)


def test_failed_instances_within_the_limit_then_rollback_in_reverse(devcluster):
    client = devcluster.client()
    old = health_job("ok", "web-tolerant", instances=3)
    client.create_job(old)
    wait_for(lambda: statuses(client, old) == ["RUNNING"] * 3, what="healthy tasks")
    key = start(client, request(health_job("sick", "web-tolerant", instances=3),
                                maxFailedInstances=1))
    assert wait_status(client, key, "ROLLED_BACK", "FAILED", "ROLLED_FORWARD") == "ROLLED_BACK"
    assert instance_events(client, key) == [
        (0, "INSTANCE_UPDATING"), (0, "INSTANCE_UPDATE_FAILED"),     # 1 failure is allowed
        (1, "INSTANCE_UPDATING"), (1, "INSTANCE_UPDATE_FAILED"),     # the 2nd is too many
        (1, "INSTANCE_ROLLING_BACK"), (1, "INSTANCE_ROLLED_BACK"),
        (0, "INSTANCE_ROLLING_BACK"), (0, "INSTANCE_ROLLED_BACK")]
    wait_for(lambda: active_configs(client, old) == {old.taskConfig.executorConfig.data},
             what="old version back")
    kill_job(client, old)


def test_running_task_that_turns_unhealthy_is_failed(devcluster):
    client = devcluster.client()
    config = health_job("ok", "web-turns-sick", instances=1)
    client.create_job(config)
    wait_for(lambda: statuses(client, config) == ["RUNNING"], what="healthy")
    task = tasks_of(client, config)[0]
    (devcluster.sandbox(task.assignedTask.taskId) / "answer").write_text("no")
    wait_for(lambda: statuses(client, config)[0] == "FAILED", what="failed by its health check")
    first = tasks_of(client, config)[0]
    assert "health check" in first.taskEvents[-1].message
    assert "RUNNING" in [status_name(e.status) for e in first.taskEvents]
    kill_job(client, config)


# -- the engine's semantics on the simulate executor ------------------------------------
def test_noop_second_update_cron_and_locked_job(sim):
    client = sim.client()
    config = sim_job("locks")
    client.create_job(config)
    noop = client.call("startJobUpdate", request(config), None)
    assert noop.result is None and [d.message for d in noop.details] == ["Noop update."]
    key = start(client, request(sim_job("locks", priority=1), blockIfNoPulsesAfterMs=60_000))
    assert status_of(client, key) == "ROLL_FORWARD_AWAITING_PULSE"
    second = raw(client, "startJobUpdate", request(sim_job("locks", priority=2), client_id="x"),
                 None)
    assert second.responseCode == api().ResponseCode.INVALID_REQUEST
    assert key.id in second.details[0].message
    summary = second.result.startJobUpdateResult.updateSummary
    assert summary.key.id == key.id
    assert [(m.key, m.value) for m in summary.metadata] == [(CLIENT_ID, "id-1")]
    killed = raw(client, "killTasks", config.key, None, "no")
    assert killed.responseCode == api().ResponseCode.JOB_UPDATING_ERROR
    client.call("abortJobUpdate", key, "stop")
    assert status_of(client, key) == "ABORTED"
    cron = job("nightly", [process("p", "true")], cron="0 0 * * *", service=False)
    client.call("scheduleCronJob", cron)
    refused = raw(client, "startJobUpdate", request(cron), None)
    assert refused.details[0].message == \
        "Cron jobs may only be created/updated by calling scheduleCronJob."


def test_pause_resume_pulse_and_rollback(sim):
    client = sim.client()
    config = sim_job("controls", instances=4)
    client.create_job(config)
    key = start(client, request(sim_job("controls", instances=4, priority=1), updateGroupSize=4,
                                blockIfNoPulsesAfterMs=60_000, minWaitInInstanceRunningMs=5_000))
    assert instance_events(client, key) == []               # blocked until a pulse
    pulse = client.call("pulseJobUpdate", key).result.pulseJobUpdateResult
    assert pulse.status == api().JobUpdatePulseStatus.OK
    assert status_of(client, key) == "ROLLING_FORWARD"
    started = [(i, "INSTANCE_UPDATING") for i in range(4)]
    wait_for(lambda: instance_events(client, key) == started, what="one batch of 4 started")
    client.call("pauseJobUpdate", key, "hold")
    assert status_of(client, key) == "ROLL_FORWARD_PAUSED"
    client.call("resumeJobUpdate", key, "go")
    assert status_of(client, key) == "ROLLING_FORWARD"
    client.call("rollbackJobUpdate", key, "back")
    assert wait_status(client, key, "ROLLED_BACK", "FAILED") == "ROLLED_BACK"
    assert instance_events(client, key)[4:] == [      # in reverse order
        (3, "INSTANCE_ROLLING_BACK"), (2, "INSTANCE_ROLLING_BACK"),
        (1, "INSTANCE_ROLLING_BACK"), (0, "INSTANCE_ROLLING_BACK"),
        (3, "INSTANCE_ROLLED_BACK"), (2, "INSTANCE_ROLLED_BACK"),
        (1, "INSTANCE_ROLLED_BACK"), (0, "INSTANCE_ROLLED_BACK")]
    names = api().JobUpdateStatus._VALUES_TO_NAMES
    events = details(client, key).updateEvents
    assert [names[e.status] for e in events] == [
        "ROLL_FORWARD_AWAITING_PULSE", "ROLLING_FORWARD", "ROLL_FORWARD_PAUSED",
        "ROLLING_FORWARD", "ROLLING_BACK", "ROLLED_BACK"]
    assert [e.message for e in events][2:5] == ["hold", "go", "back"]
    assert active_configs(client, config) == {config.taskConfig.executorConfig.data}
    done = client.call("pulseJobUpdate", key).result.pulseJobUpdateResult
    assert done.status == api().JobUpdatePulseStatus.FINISHED


def test_batches_instance_count_changes_and_queries(sim):
    client = sim.client()
    config = sim_job("batches", instances=5)
    client.create_job(config)
    a = api()
    batch = a.JobUpdateStrategy(batchStrategy=a.BatchJobUpdateStrategy(groupSize=2))
    key = start(client, request(sim_job("batches", instances=7, priority=1), updateGroupSize=2,
                                updateStrategy=batch))
    wait_status(client, key, "ROLLED_FORWARD")
    events = instance_events(client, key)
    updating = [i for i, action in events if action == "INSTANCE_UPDATING"]
    assert updating == list(range(7))
    for first in (2, 4, 6):     # a batch starts only when the one before it is done
        started = events.index((first, "INSTANCE_UPDATING"))
        assert all((i, "INSTANCE_UPDATED") in events[:started] for i in range(first))
    shrink = start(client, request(sim_job("batches", instances=3, priority=1),
                                   updateGroupSize=5))
    wait_status(client, shrink, "ROLLED_FORWARD")
    assert sorted(i for i, act in instance_events(client, shrink) if act == "INSTANCE_UPDATED") \
        == [3, 4, 5, 6]
    wait_for(lambda: len(tasks_of(client, config, active_only=True)) == 3, what="3 instances")
    only = start(client, request(sim_job("batches", instances=3, priority=2),
                                 updateOnlyTheseInstances={a.Range(first=1, last=1)}))
    wait_status(client, only, "ROLLED_FORWARD")
    assert instance_events(client, only) == [(1, "INSTANCE_UPDATING"), (1, "INSTANCE_UPDATED")]

    def summaries(**query: object) -> list[str]:
        result = client.call("getJobUpdateSummaries", a.JobUpdateQuery(**query)).result
        return [s.key.id for s in result.getJobUpdateSummariesResult.updateSummaries]
    assert summaries(jobKey=config.key) == [only.id, shrink.id, key.id]     # newest first
    assert summaries(jobKey=config.key, limit=1, offset=1) == [shrink.id]
    assert summaries(jobKey=config.key, user="nobody") == []
    assert summaries(jobKey=config.key, user="tester", updateStatuses={4}) == \
        [only.id, shrink.id, key.id]
    assert summaries(key=key) == [key.id]
    listed = client.call("getJobUpdateDetails", None, a.JobUpdateQuery(key=shrink)).result
    assert [d.update.summary.key.id for d in listed.getJobUpdateDetailsResult.detailsList] == \
        [shrink.id]
    instructions = listed.getJobUpdateDetailsResult.detailsList[0].update.instructions
    # As the scheduler records it: the initial state holds the instances replaced or
    # removed, the desired state those replaced or added; one only removing has none.
    assert instructions.desiredState is None
    assert [[(r.first, r.last) for r in g.instances] for g in instructions.initialState] == \
        [[(3, 6)]]
    assert instructions.initialState[0].task.priority == 1
    first = client.call("getJobUpdateDetails", key, None).result.getJobUpdateDetailsResult
    initial = first.details.update.instructions.initialState
    assert [[(r.first, r.last) for r in g.instances] for g in initial] == [[(0, 4)]]
    assert initial[0].task.priority == 0
    assert [(r.first, r.last) for r in
            first.details.update.instructions.desiredState.instances] == [(0, 6)]
    scoped = client.call("getJobUpdateDetails", only, None).result.getJobUpdateDetailsResult
    only_instructions = scoped.details.update.instructions
    assert [[(r.first, r.last) for r in g.instances] for g in only_instructions.initialState] \
        == [[(1, 1)]]
    assert [(r.first, r.last) for r in only_instructions.desiredState.instances] == [(1, 1)]
    missing = raw(client, "getJobUpdateDetails", a.JobUpdateKey(job=config.key, id="nope"), None)
    assert missing.responseCode == a.ResponseCode.INVALID_REQUEST


def test_variable_batches_autopause_and_pulse_timeout(sim):
    client = sim.client()
    a = api()
    client.create_job(sim_job("varbatch", instances=6))
    strategy = a.JobUpdateStrategy(varBatchStrategy=a.VariableBatchJobUpdateStrategy(
        groupSizes=[1, 2], autopauseAfterBatch=True))
    key = start(client, request(sim_job("varbatch", instances=6, priority=1),
                                updateStrategy=strategy))
    batches = []
    while wait_status(client, key, "ROLL_FORWARD_PAUSED", "ROLLED_FORWARD") != "ROLLED_FORWARD":
        done = [i for i, act in instance_events(client, key) if act == "INSTANCE_UPDATED"]
        batches.append(done[sum(map(len, batches)):])
        client.call("resumeJobUpdate", key, None)
    done = [i for i, act in instance_events(client, key) if act == "INSTANCE_UPDATED"]
    batches.append(done[sum(map(len, batches)):])
    assert batches == [[0], [1, 2], [3, 4], [5]]      # sizes 1, 2, then 2 repeating

    client.create_job(sim_job("pulsed", instances=2))
    pulsed = start(client, request(sim_job("pulsed", instances=2, priority=1),
                                   blockIfNoPulsesAfterMs=500, minWaitInInstanceRunningMs=60_000))
    client.call("pulseJobUpdate", pulsed)
    assert status_of(client, pulsed) == "ROLLING_FORWARD"
    wait_status(client, pulsed, "ROLL_FORWARD_AWAITING_PULSE")     # no pulse in time: blocked
    client.call("abortJobUpdate", pulsed, None)


def test_update_survives_a_sigkilled_devcluster(tmp_path):
    cluster = Devcluster(tmp_path / "state", executor="simulate").start()
    try:
        client = cluster.client()
        config = sim_job("crash", instances=3)
        client.create_job(config)
        key = start(client, request(sim_job("crash", instances=3, priority=1),
                                    minWaitInInstanceRunningMs=1500))
        wait_for(lambda: (0, "INSTANCE_UPDATED") in instance_events(client, key),
                 what="first instance updated")
        cluster.crash()
        cluster.start()
        client = cluster.client()
        assert wait_status(client, key, "ROLLED_FORWARD", "FAILED", "ROLLED_BACK") == \
            "ROLLED_FORWARD"
        assert [i for i, act in instance_events(client, key) if act == "INSTANCE_UPDATED"] == \
            [0, 1, 2]
    finally:
        cluster.stop()


# -- what the executor does for every task -----------------------------------------------
DAEMON = ("{python} -c \"import os, time\nif os.fork(): os._exit(0)\nos.setsid()\n"
          "if os.fork(): os._exit(0)\nopen('daemon.pid', 'w').write(str(os.getpid()))\n"
          "time.sleep(300)\"")


def test_kill_reaches_setsid_daemons_and_profile_is_sourced(devcluster):
    client = devcluster.client()
    config = job("family", [process("profile", "echo 'export GREETING=hello' > .thermos_profile"),
                            process("daemon", DAEMON.format(python=task_python())),
                            process("greet", "echo $GREETING; sleep 300")],
                 order=["profile", "daemon", "greet"], service=True)
    client.create_job(config)
    wait_for(lambda: statuses(client, config) == ["RUNNING"], what="RUNNING")
    sandbox = devcluster.sandbox(tasks_of(client, config)[0].assignedTask.taskId)
    pid = int(wait_for(lambda: (sandbox / "daemon.pid").exists()
                       and (sandbox / "daemon.pid").read_text(), what="daemon pid"))
    greeting = sandbox / ".logs" / "greet" / "0" / "stdout"
    assert wait_for(lambda: greeting.exists() and greeting.read_text().strip(),
                    what="greeting") == "hello"
    assert os.getsid(pid) != os.getsid(0)
    client.kill_tasks(config.key, None, "done")
    wait_for(lambda: statuses(client, config) == ["KILLED"], what="KILLED")
    wait_for(lambda: not Path(f"/proc/{pid}").exists() or
             Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] == "Z", what="daemon gone")


def leaderhealth(cluster: Devcluster) -> int:
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with direct.open(f"{cluster.url}/leaderhealth", timeout=10) as reply:
            return reply.status if reply.read().strip() == b"OK" else -1
    except urllib.error.HTTPError as exc:
        return exc.code


def test_leaderhealth_answers_ok_on_the_leader(devcluster):
    assert leaderhealth(devcluster) == 200


def test_leaderhealth_is_503_on_a_standby(zookeeper, tmp_path):
    args = ("--zk", zookeeper.hosts, "--zk-path", "/aurora/leaderhealth")
    leader = Devcluster(tmp_path / "shared", executor="simulate", args=args).start()
    standby = None
    try:
        wait_for(lambda: leaderhealth(leader) == 200, what="a leader")
        standby = Devcluster(tmp_path / "shared", executor="simulate", args=args).start()
        assert leaderhealth(standby) == 503
    finally:
        for cluster in (standby, leader):
            if cluster is not None:
                cluster.stop()
