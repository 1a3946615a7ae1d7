"""Commands over a slow link: thrift calls, connections and wall time per verb.

A latency-injecting proxy (`tests/support/latencyproxy.py`, loopback only) sits in
front of a simulated devcluster with its reply cache off. Each verb runs at a
round-trip time (RTT) of 0 and of 50 ms, directly and behind a redirecting front
(a server that answers every call with a 307 to the proxy, as a non-leading
scheduler or a load balancer does). For each it prints the calls made, the
connections opened and the wall time, beside the fewest calls the verb needs
(`FLOOR`, documented per verb below), with verdicts:

* direct: time at 50 ms <= time at 0 + (floor calls + 1 connection + 1) x RTT,
  i.e. within one RTT of the fewest round trips the verb needs;
* behind the front: at most one call reaches the front per command (not one per
  call), and none from the next command (the leader is remembered for 60 s); the
  time the front adds is printed in RTTs as a reference (its one call and that
  connection's handshake make 2; on this 2-core machine the medians of 5 runs
  land between 1.4 and 2.5).

    python3 benchmarks/network.py   (re-runs itself in the benchmark virtualenv)
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import (  # noqa: E402
    BIN,
    clean_env,
    devcluster,
    finish,
    in_bench_venv,
    run_measured,
    verdict,
)

AURORA = str(BIN / "aurora")
RTT = 0.05
SERVICE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "jobs" / "service.aurora"
CRON = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "jobs" / "cron.aurora"
KEY = "devcluster/www-data/test"

# The fewest thrift calls each verb needs, and why:
FLOOR = {
    "job status": 1,          # getTasksWithoutConfigs
    "job list": 1,            # getJobs
    "quota get": 1,           # getQuota
    "update info": 1,         # getJobUpdateDetails (the update id is given)
    "sla get-job-uptime": 1,  # getTasksWithoutConfigs
    "job diff": 3,            # getTierConfigs (tier backfill), populateJobConfig, getTasksStatus
    "cron schedule": 2,       # getTierConfigs, scheduleCronJob
    "job kill": 3,            # getTasksWithoutConfigs (SLA, which instances), killTasks, 1 poll
    "job add": 2,             # getTasksWithoutConfigs (instance check, SLA), addInstances
    "job create": 3,          # getTierConfigs, createJob, 1 poll (--wait-until RUNNING)
    "job restart": 3,         # getTasksWithoutConfigs, restartShards, 1 poll (--watch-secs 0)
    "update start": 4,        # getTierConfigs, getJobUpdateDiff (preview), startJobUpdate,
                              # getJobUpdateDetails (one poll, once the update has ended)
}


class Scene:
    """The devcluster, a user's home, and the state each verb acts on."""

    def __init__(self, home: str, cluster: object):
        self.home, self.cluster, self.serial = home, cluster, 0
        self.env = clean_env(home)
        self.service = Path(home) / "service.aurora"      # updates that need not watch
        self.service.write_text(SERVICE.read_text().replace(
            "    task = Task(", "    update_config = UpdateConfig(watch_secs = 0),\n"
                               "    task = Task("))
        (Path(home) / "etc" / "client.toml").write_text(
            "[devcluster]\nautostart = false\n")

    def point_at(self, url: str) -> None:
        (Path(self.home) / "etc" / "clusters.json").write_text(json.dumps(
            [{**self.cluster.cluster_entry(), "scheduler_uri": url}]))   # type: ignore[attr-defined]

    def direct(self, *argv: str, check: bool = True) -> str:
        self.point_at(self.cluster.url)                                   # type: ignore[attr-defined]
        done = run_measured([AURORA, *argv], self.env, check=check, keep_output=True)
        return done.stdout.decode()

    def fresh_job(self, count: int = 2) -> str:
        self.serial += 1
        name = f"net{self.serial}"
        self.direct("job", "create", f"{KEY}/{name}", str(self.service), "--bind", f"job={name}",
                    "--bind", f"count={count}", "--wait-until", "RUNNING")
        return name


def commands(scene: Scene) -> dict[str, Callable[[], list[str]]]:
    """Each verb's argv, made afresh (a write needs its own job each time)."""
    steady = scene.fresh_job(2)
    update = json.loads(scene.direct("update", "start", f"{KEY}/{steady}", str(scene.service),
                                     "--bind", f"job={steady}", "--bind", "count=2",
                                     "--bind", "version=2", "--wait", "--write-json"))
    update_id = update.get("update_id") or update.get("id") or ""

    def fresh(*argv_tail: str) -> Callable[[], list[str]]:
        return lambda: [*argv_tail]

    def kill() -> list[str]:
        return ["job", "kill", f"{KEY}/{scene.fresh_job(2)}/1"]

    def add() -> list[str]:
        return ["job", "add", f"{KEY}/{scene.fresh_job(1)}/0", "1"]

    def create() -> list[str]:
        scene.serial += 1
        name = f"new{scene.serial}"
        return ["job", "create", f"{KEY}/{name}", str(scene.service), "--bind", f"job={name}",
                "--bind", "count=1", "--wait-until", "RUNNING"]

    def restart() -> list[str]:
        return ["job", "restart", f"{KEY}/{scene.fresh_job(1)}", "--watch-secs", "0"]

    def start() -> list[str]:
        name = scene.fresh_job(2)
        return ["update", "start", f"{KEY}/{name}", str(scene.service), "--bind", f"job={name}",
                "--bind", "count=2", "--bind", "version=3", "--wait"]

    def cron() -> list[str]:
        scene.direct("cron", "deschedule", f"{KEY}/nightly", check=False)
        return ["cron", "schedule", f"{KEY}/nightly", str(CRON)]

    return {
        "job status": fresh("job", "status", f"{KEY}/{steady}"),
        "job list": fresh("job", "list", "devcluster/www-data"),
        "quota get": fresh("quota", "get", "devcluster/www-data"),
        "update info": fresh("update", "info", f"{KEY}/{steady}", update_id),
        "sla get-job-uptime": fresh("sla", "get-job-uptime", f"{KEY}/{steady}"),
        "job diff": fresh("job", "diff", f"{KEY}/{steady}", str(scene.service), "--bind",
                          f"job={steady}", "--bind", "count=2", "--bind", "version=2"),
        "cron schedule": cron,
        "job kill": kill,
        "job add": add,
        "job create": create,
        "job restart": restart,
        "update start": start,
    }


def measure(scene: Scene, argv: list[str], rtt: float, front: bool) -> tuple[float, dict]:
    """One run of argv through the proxy (and the redirecting front): time and counts."""
    from tests.support.latencyproxy import LatencyProxy

    with LatencyProxy(scene.cluster.url, rtt) as proxy, \
            LatencyProxy(scene.cluster.url, rtt, redirect_to=proxy.url) as redirector:  # type: ignore[attr-defined]
        scene.point_at(redirector.url if front else proxy.url)
        sample = run_measured([AURORA, *argv], scene.env)
        counts = {"calls": sum(proxy.calls.values()), "connections": proxy.connections,
                  "front calls": sum(redirector.calls.values()),
                  "front connections": redirector.connections}
        if front:       # a read right after: the leader learned is asked first
            redirector.reset()
            run_measured([AURORA, "job", "list", "devcluster/www-data"], scene.env)
            counts["front calls next"] = sum(redirector.calls.values())
    return sample.seconds, counts


def main() -> int:
    in_bench_venv()
    with tempfile.TemporaryDirectory(dir=Path.home() / ".cache") as home, \
            devcluster(home) as cluster:
        scene = Scene(home, cluster)
        for verb, make in commands(scene).items():
            runs = {(rtt, front): [] for rtt in (0.0, RTT) for front in (False, True)}
            for _ in range(5):
                for key in runs:
                    runs[key].append(measure(scene, make(), *key))
            report(verb, runs)
    return finish()


def report(verb: str, runs: dict) -> None:
    def median(key: tuple) -> float:
        return statistics.median(seconds for seconds, _ in runs[key])

    counts = runs[(RTT, False)][0][1]
    behind = runs[(RTT, True)][0][1]
    floor = FLOOR[verb]
    detail = (f"{counts['calls']} calls (floor {floor}), {counts['connections']} connection(s); "
              f"{median((0.0, False)) * 1000:.0f} ms at RTT 0")
    allowed = median((0.0, False)) + (floor + 2) * RTT
    verdict(f"{verb}: at 50 ms RTT", median((RTT, False)), allowed, "s", detail)
    verdict(f"{verb}: calls to a redirecting front", behind["front calls"], 1, "",
            f"{behind['calls']} calls to the leader over {behind['connections']} connection(s)")
    verdict(f"{verb}: ... and from the next command", behind["front calls next"], 0, "",
            "the leader learned is remembered for 60 s")
    extra = (median((RTT, True)) - median((RTT, False))) - \
        (median((0.0, True)) - median((0.0, False)))
    print(f"{verb + ': the front costs':<52} {extra / RTT:9.2f} RTT (reference, no target)  "
          "[one call to it and its connection's handshake: 2 RTT, plus noise; its fixed "
          "cost at RTT 0 left out]", flush=True)


if __name__ == "__main__":
    sys.exit(main())
