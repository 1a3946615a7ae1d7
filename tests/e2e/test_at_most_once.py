"""Faults on the wire after the scheduler acted: a write is executed at most once.

A fault-injecting proxy sits between the real `aurora` and a real devcluster;
how often each call executed is read from the devcluster's own `-v` log.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.conftest import FIXTURES
from tests.support.devcluster import Devcluster
from tests.support.faultproxy import FaultProxy, executed

SERVICE = str(FIXTURES / "jobs" / "service.aurora")
CRON = str(FIXTURES / "jobs" / "cron.aurora")
PREFIX = "devcluster/www-data/test"


@pytest.fixture(scope="module")
def watched(tmp_path_factory):
    """A devcluster logging every call it answers (its record of what executed)."""
    cluster = Devcluster(tmp_path_factory.mktemp("watched"), executor="simulate",
                         args=("--verbose",)).start()
    yield cluster
    cluster.stop()


class Scene:
    """A user whose `devcluster` is reached either directly or through a proxy."""

    def __init__(self, home, cluster):
        self.home, self.cluster = home, cluster
        home.write_client_config("[devcluster]\nautostart = false\n")

    def direct(self, *args: str):
        self.home.write_clusters([self.cluster.cluster_entry()])
        return self.home.run(*args)

    def through(self, proxy: FaultProxy, *args: str):
        self.home.write_clusters([{"name": "devcluster", "scheduler_uri": proxy.url}])
        before = executed(self.cluster.state_dir / "devcluster.log")
        done = self.home.run(*args)
        after = executed(self.cluster.state_dir / "devcluster.log")
        return done, after - before

    def active(self, name: str) -> int:
        done = self.direct("job", "status", f"{PREFIX}/{name}", "--write-json")
        tasks = [t for job in json.loads(done.stdout or "[]") for t in job.get("active", [])]
        return len(tasks)

    def create(self, name: str, count: int) -> None:
        done = self.direct("job", "create", f"{PREFIX}/{name}", SERVICE, "--bind",
                           f"job={name}", "--bind", f"count={count}")
        assert done.returncode == 0, done.stderr


@pytest.fixture
def scene(home, watched):
    return Scene(home, watched)


def command(scene: Scene, verb: str, name: str) -> tuple[list[str], str, str]:
    """argv, the thrift method it writes with, and the check the error must name."""
    key = f"{PREFIX}/{name}"
    if verb == "job create":
        return (["job", "create", key, SERVICE, "--bind", f"job={name}", "--bind", "count=1"],
                "createJob", f"aurora job status {key}")
    if verb == "job add":
        scene.create(name, 1)
        return ["job", "add", f"{key}/0", "1"], "addInstances", f"aurora job status {key}"
    if verb == "job kill":
        scene.create(name, 2)
        return ["job", "kill", f"{key}/1"], "killTasks", f"aurora job status {key}"
    if verb == "cron schedule":
        return (["cron", "schedule", f"{PREFIX}/nightly", CRON], "scheduleCronJob",
                f"aurora cron show {PREFIX}/nightly")
    if verb == "cron deschedule":
        done = scene.direct("cron", "schedule", f"{PREFIX}/nightly", CRON)
        assert done.returncode == 0, done.stderr
        return (["cron", "deschedule", f"{PREFIX}/nightly"], "descheduleCronJob",
                f"aurora cron show {PREFIX}/nightly")
    return (["quota", "set", "devcluster/www-data", "--cpus", "7", "--ram", "3GB", "--disk",
             "5GB"], "setQuota", "aurora quota get devcluster/www-data")


@pytest.mark.parametrize("fault", ["drop", "502", "no-code"])
@pytest.mark.parametrize("verb", ["job create", "job add", "job kill", "cron schedule",
                                  "cron deschedule", "quota set"])
def test_a_write_whose_answer_is_lost_runs_once(scene, watched, fault, verb):
    name = f"once-{verb.split()[-1]}-{fault}"
    argv, method, check = command(scene, verb, name)
    with FaultProxy(watched.url, {method: fault}) as proxy:
        done, ran = scene.through(proxy, *argv)
    assert ran[method] == 1, (ran, done.stderr)
    assert proxy.forwarded[method] == 1
    assert "Traceback" not in done.stderr
    if verb in ("quota set", "cron deschedule"):   # a read proves the state asked for
        assert done.returncode == 0, done.stderr
        assert f"the answer to {method} was lost, but a read shows it took effect" in \
            done.stderr
        return
    assert done.returncode == 7, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert f"{method} was sent to cluster devcluster but its answer was lost" in last
    assert "None" not in last
    assert "whether it took effect is unknown" in last and f"check with: {check}" in last
    if verb == "job create":
        assert "a read now shows 1 active instance(s)" in last
        assert scene.active(name) == 1
    if verb == "job add":
        assert scene.active(name) == 2                  # one added, not two


@pytest.mark.parametrize("fault,cause", [
    ("other-method", "with a reply to getQuota"),
    ("wrong-seqid", "(call 100"),    # the reply to call n says call n + 1000
])
def test_a_reply_to_another_call_is_not_taken(scene, watched, fault, cause):
    with FaultProxy(watched.url, {"getJobs": fault, "createJob": fault}) as proxy:
        done, ran = scene.through(proxy, "job", "list", "devcluster/www-data")
        assert done.returncode == 7 and cause in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
        name = f"reply-{fault}"
        argv, method, check = command(scene, "job create", name)
        done, ran = scene.through(proxy, *argv)
    assert done.returncode == 7 and ran["createJob"] == 1, done.stderr
    assert cause in done.stderr and f"check with: {check}" in done.stderr


@pytest.mark.parametrize("argv,method,field", [
    (("quota", "get", "devcluster/www-data"), "getQuota", "getQuotaResult"),
    (("job", "status", f"{PREFIX}/anything"), "getTasksWithoutConfigs", "scheduleStatusResult"),
    (("update", "list", "devcluster/www-data"), "getJobUpdateSummaries",
     "getJobUpdateSummariesResult"),
])
def test_ok_without_its_result_is_exit_10(scene, watched, argv, method, field):
    with FaultProxy(watched.url, {method: "no-result"}) as proxy:
        done, _ = scene.through(proxy, *argv)
    assert done.returncode == 10, done.stderr
    assert f"answered {method} OK but without its result ({field})" in done.stderr
    assert "Traceback" not in done.stderr and "NoneType" not in done.stderr


@pytest.mark.parametrize("verb", ["job list", "job create"])
def test_a_slow_drip_cannot_outlast_the_timeout(scene, watched, verb):
    method = {"job list": "getJobs", "job create": "createJob"}[verb]
    argv = ["job", "list", "devcluster/www-data"] if verb == "job list" else \
        command(scene, verb, "drip")[0]
    with FaultProxy(watched.url, {method: "drip"}, drip_interval=0.3) as proxy:
        started = time.monotonic()
        done, ran = scene.through(proxy, "--timeout", "2", *argv)
        took = time.monotonic() - started
    assert done.returncode == 9, done.stderr
    assert took < 15 and "within 2s" in done.stderr and ran[method] == 1
    assert "Traceback" not in done.stderr
