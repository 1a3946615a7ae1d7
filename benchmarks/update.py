"""Job updates at size, against a simulated devcluster.

Prints figure, target and verdict for:
* an update of a 1,000-instance job in batches of 100 with no minimum wait: wall time
  from startJobUpdate to ROLLED_FORWARD (target <= 10 s) and the devcluster's CPU seconds;
  then the same through the client (`aurora update start --wait`, diff preview and
  progress included): wall time (target <= 10 s) and the client's peak memory;
* `aurora update list` over a cluster holding 10,000 updates (target <= 1 s), and the
  getJobUpdateSummaries call under it;
* `aurora update info` of an update with 10,000 instance events (target <= 1 s), and the
  getJobUpdateDetails call under it.

The 10,000 updates and events are written straight into the devcluster's SQLite state
(as if made earlier), so the figures measure reading, not creating.

    python3 benchmarks/update.py   (re-runs itself in the benchmark virtualenv)
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import BIN, clean_env, in_bench_venv, run_measured  # noqa: E402

from aurora.api.idl import api, serialize  # noqa: E402
from tests.support.devcluster import Devcluster, wait_for  # noqa: E402
from tests.support.jobs import job, process  # noqa: E402

AURORA = str(BIN / "aurora")
INSTANCES = 1_000
BATCH = 100
UPDATES = 10_000
EVENTS = 10_000


def verdict(figure: float, target: float) -> str:
    return "PASS" if figure <= target else "FAIL"


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rolling_update(cluster: Devcluster) -> None:
    a = api()
    client = cluster.client()
    old = job("big", [process("p", "true")], instances=INSTANCES, service=True)
    client.create_job(old)
    running = a.TaskQuery(jobKeys=[old.key], statuses={a.ScheduleStatus.RUNNING})
    wait_for(lambda: len(client.get_tasks_without_configs(running)) == INSTANCES,
             timeout=120, interval=0.5, what="1,000 RUNNING")
    new = job("big", [process("p", "true")], instances=INSTANCES, service=True)
    new.taskConfig.priority = 1
    settings = a.JobUpdateSettings(updateGroupSize=BATCH, maxPerInstanceFailures=0,
                                   maxFailedInstances=0, minWaitInInstanceRunningMs=0,
                                   rollbackOnFailure=True, waitForBatchCompletion=True)
    request = a.JobUpdateRequest(taskConfig=new.taskConfig, instanceCount=INSTANCES,
                                 settings=settings)
    query = a.JobUpdateQuery(jobKey=old.key, updateStatuses={a.JobUpdateStatus.ROLLED_FORWARD})
    cpu_before = cpu_seconds(cluster.pid)
    started = time.perf_counter()
    client.call("startJobUpdate", request, "benchmark")
    wait_for(lambda: client.call("getJobUpdateSummaries", query).result
             .getJobUpdateSummariesResult.updateSummaries, timeout=300, interval=0.05,
             what="ROLLED_FORWARD")
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(cluster.pid) - cpu_before
    print(f"update of {INSTANCES:,} instances in batches of {BATCH}, no minimum wait: "
          f"{elapsed:.2f} s wall (target <= 10 s) {verdict(elapsed, 10)}; devcluster CPU "
          f"{cpu:.2f} s")


CLI_JOB = """
jobs = [Service(cluster = 'devcluster', role = 'bench', environment = 'prod', name = 'cli',
                instances = %d,
                task = Task(processes = [Process(name = 'p', cmdline = 'serve {{version}}')],
                            resources = Resources(cpu = 0.01, ram = 1*MB, disk = 1*MB)),
                update_config = UpdateConfig(batch_size = %d, watch_secs = 0,
                                             wait_for_batch_completion = True))
        .bind(version = 1)]
"""


def measured_to_files(argv: list[str], env: dict[str, str], home: str) -> tuple[float, int,
                                                                              bytes]:
    """(seconds, peak RSS in MB, stdout) of a command whose stderr is long (a line per
    instance event): both streams go to files, so no pipe can fill and stall it."""
    out_path, err_path = Path(home) / "cli.out", Path(home) / "cli.err"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        child = subprocess.Popen(argv, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {err_path.read_bytes()[-500:].decode()}")
    return elapsed, usage.ru_maxrss // 1024, out_path.read_bytes()


def client_rolling_update(env: dict[str, str], home: str) -> None:
    """The same update through the client: `aurora update start --wait` end to end."""
    path = Path(home) / "cli.aurora"
    path.write_text(CLI_JOB % (INSTANCES, BATCH))
    key = "devcluster/bench/prod/cli"
    run_measured([AURORA, "job", "create", key, str(path), "--wait-until", "RUNNING"], env)
    seconds, peak, out = measured_to_files([AURORA, "update", "start", key, str(path),
                                            "--bind", "version=2", "--wait"], env, home)
    assert out.endswith(b"Current state ROLLED_FORWARD\n"), out[-200:]
    print(f"aurora update start --wait, {INSTANCES:,} instances in batches of {BATCH}: "
          f"{seconds:.2f} s wall (target <= 10 s) {verdict(seconds, 10)}; client peak memory "
          f"{peak} MB")


def populate(state_db: Path) -> str:
    """Write 10,000 finished updates, one of them with 10,000 instance events."""
    a = api()
    config = job("many", [process("p", "true")], service=True)
    instructions = serialize(a.JobUpdateInstructions(
        initialState=[], desiredState=a.InstanceTaskConfig(
            task=config.taskConfig, instances=[a.Range(first=0, last=EVENTS - 1)]),
        settings=a.JobUpdateSettings(updateGroupSize=1)))
    now = int(time.time() * 1000)
    ids = [str(uuid.uuid4()) for _ in range(UPDATES)]
    meta = json.dumps([["org.apache.aurora.client.update_id", "bench"]])
    rows = [(update_id, "bench", "prod", f"job{i % 100:03d}", "bencher",
             a.JobUpdateStatus.ROLLED_FORWARD, now - UPDATES + i, now - UPDATES + i, meta,
             instructions, "bench") for i, update_id in enumerate(ids)]
    big = ids[-1]
    events = [(big, i // 2, now, a.JobUpdateAction.INSTANCE_UPDATED if i % 2
               else a.JobUpdateAction.INSTANCE_UPDATING, None) for i in range(EVENTS)]
    db = sqlite3.connect(state_db, timeout=60)
    with db:
        db.executemany("INSERT INTO job_updates (id, role, env, name, user, status, created_ms, "
                       "modified_ms, metadata, instructions, new_hash) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        db.executemany("INSERT INTO job_update_events VALUES (?, ?, ?, ?, ?)",
                       [(u, now, a.JobUpdateStatus.ROLLED_FORWARD, "bencher", None)
                        for u in ids])
        db.executemany("INSERT INTO job_instance_events VALUES (?, ?, ?, ?, ?)", events)
    db.close()
    return big


def timed_call(call: object) -> float:
    """The first call's time: later identical reads come from the devcluster's reply cache."""
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def reading(cluster: Devcluster, env: dict[str, str], big: str) -> None:
    a = api()
    client = cluster.client()
    key = a.JobUpdateKey(job=a.JobKey(role="bench", environment="prod", name="job099"), id=big)
    rpc_list = timed_call(lambda: client.call("getJobUpdateSummaries",
                                              a.JobUpdateQuery(role="bench")))
    rpc_info = timed_call(lambda: client.call("getJobUpdateDetails", key,
                                              a.JobUpdateQuery(key=key)))
    print(f"getJobUpdateSummaries of {UPDATES:,} updates: {rpc_list:.2f} s; "
          f"getJobUpdateDetails with {EVENTS:,} instance events: {rpc_info:.2f} s")
    for words, what in ((["list", "devcluster/bench"], f"update list, {UPDATES:,} updates"),
                        (["info", "devcluster/bench/prod/job099", big],
                         f"update info, {EVENTS:,} instance events")):
        try:
            runs = [run_measured([AURORA, "update", *words], env) for _ in range(3)]
        except SystemExit as exc:
            print(f"{what}: not measured ({str(exc)[:200]})")
            continue
        seconds = statistics.median(r.seconds for r in runs)
        print(f"{what}: {seconds:.2f} s, peak memory {max(r.peak_mb for r in runs):.0f} MB "
              f"(target <= 1 s) {verdict(seconds, 1)}")


def main() -> int:
    in_bench_venv()     # measure a non-editable install, as a user runs it
    with tempfile.TemporaryDirectory() as home:
        # No reply cache: the real scheduler has none.
        cluster = Devcluster(Path(home) / "devcluster", executor="simulate",
                             args=("--reply-cache-mb", "0")).start()
        env = clean_env(home)
        etc = Path(env["AURORA_CONFIG_ROOT"])
        etc.mkdir(parents=True)
        (etc / "clusters.json").write_text(json.dumps([cluster.cluster_entry()]))
        try:
            rolling_update(cluster)
            client_rolling_update(env, home)
            big = populate(cluster.state_dir / "state.db")
            reading(cluster, env, big)
        finally:
            cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
