"""The cron and quota nouns against a devcluster whose cron clock runs 60x faster."""

from __future__ import annotations

import json
import time

import pytest

from aurora.api.client import SchedulerError
from tests.conftest import EXAMPLES, FIXTURES
from tests.support.devcluster import Devcluster, wait_for
from tests.support.jobs import job, process

CRON_KEY = "devcluster/www-data/test/cron_hello_world"
CRON_FILE = str(EXAMPLES / "cron_hello_world.aurora")
POLICY_FILE = str(FIXTURES / "jobs" / "cron_policy.aurora")
PROD_FILE = str(FIXTURES / "jobs" / "prod.aurora")


@pytest.fixture(scope="module")
def fast_cron(tmp_path_factory):
    """A devcluster where a cron minute lasts one second."""
    cluster = Devcluster(tmp_path_factory.mktemp("fastcron"))
    done = cluster.command("start", "--cron-clock-speed", "60")
    assert done.returncode == 0, done.stderr
    yield cluster
    cluster.stop()


@pytest.fixture
def cron_home(home, fast_cron):
    home.use(fast_cron)
    return home


def tasks(home, key: str) -> list[dict]:
    done = home.run("job", "status", key, "--write-json")
    if done.returncode != 0:
        return []
    (entry,) = json.loads(done.stdout)
    return entry["active"] + entry["inactive"]


def test_schedule_show_run_and_deschedule(cron_home):
    done = cron_home.run("cron", "schedule", CRON_KEY, CRON_FILE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Cron job scheduled, status can be viewed at http://")
    show = cron_home.run("cron", "show", CRON_KEY)
    assert show.returncode == 0
    lines = show.stdout.splitlines()
    assert lines[0] == f"{CRON_KEY}\t */5 * * * *"
    assert lines[1] == "  collision policy: KILL_EXISTING" and lines[2].startswith("  next runs: ")
    as_json = json.loads(cron_home.run("cron", "status", CRON_KEY, "--write-json").stdout)
    assert as_json["schedule"] == "*/5 * * * *" and len(as_json["next_runs"]) == 3
    assert CRON_KEY in cron_home.run("job", "list", "devcluster/www-data/test").stdout
    runs = wait_for(lambda: [t for t in tasks(cron_home, CRON_KEY)
                             if t["status"] == "FINISHED"], timeout=30, what="a cron run")
    assert runs[0]["taskEvents"][0]["message"] == "Cron run on schedule"
    assert cron_home.run("cron", "deschedule", CRON_KEY).stdout == "Cron descheduling succeeded.\n"
    settled = len(tasks(cron_home, CRON_KEY))
    time.sleep(6)                                   # more than one */5 period of the fast clock
    assert len(tasks(cron_home, CRON_KEY)) == settled
    gone = cron_home.run("cron", "show", CRON_KEY)
    assert gone.returncode == 6 and "No cron entry found" in gone.stderr
    again = cron_home.run("cron", "deschedule", CRON_KEY)
    assert again.returncode == 10 and "is not scheduled with cron" in again.stderr


def test_start_runs_now_and_non_cron_files_are_refused(cron_home):
    key = "devcluster/www-data/test/started"
    assert cron_home.run("cron", "schedule", key, POLICY_FILE, "--bind", "job=started",
                         "--bind", "policy=CANCEL_NEW").returncode == 0
    start = cron_home.run("cron", "start", key)
    assert start.returncode == 0 and start.stdout == ""
    assert wait_for(lambda: tasks(cron_home, key), what="the started run")
    refused = cron_home.run("cron", "schedule", "devcluster/www-data/prod/hello",
                            str(EXAMPLES / "hello_world.aurora"))
    assert refused.returncode == 4 and 'aurora job create' in refused.stderr
    missing = cron_home.run("cron", "start", "devcluster/www-data/test/never")
    assert missing.returncode == 10 and "is not scheduled with cron" in missing.stderr
    cron_home.run("cron", "deschedule", key)
    cron_home.run("job", "killall", key)


@pytest.mark.parametrize("policy", ["KILL_EXISTING", "CANCEL_NEW", "RUN_OVERLAP"])
def test_collision_policies(cron_home, policy):
    name = f"policy-{policy.lower().replace('_', '-')}"
    key = f"devcluster/www-data/test/{name}"
    done = cron_home.run("cron", "schedule", key, POLICY_FILE, "--bind", f"job={name}",
                         "--bind", f"policy={policy}")
    assert done.returncode == 0, done.stderr
    wait_for(lambda: tasks(cron_home, key), timeout=20, what="the first run")
    time.sleep(3.5)                                 # three or more firings of '* * * * *'
    cron_home.run("cron", "deschedule", key)
    seen = tasks(cron_home, key)
    active = [t for t in seen if t["status"] not in ("KILLED", "FINISHED", "FAILED", "LOST")]
    if policy == "CANCEL_NEW":
        assert len(seen) == 1 and len(active) == 1           # later runs were skipped
    elif policy == "KILL_EXISTING":
        assert len(seen) >= 2 and len(active) <= 1           # each run replaced the last
        # (0 active is possible: deschedule can land between a kill and its new run)
        assert any(t["status"] in ("KILLED", "KILLING") for t in seen)
    else:
        assert len(active) >= 2                              # runs pile up side by side
    cron_home.run("job", "killall", key)


def test_invalid_schedule_is_rejected_by_client_and_scheduler(cron_home, fast_cron, tmp_path):
    bad = tmp_path / "bad.aurora"
    bad.write_text(open(POLICY_FILE).read().replace("'* * * * *'", "'61 * * * *'"))
    done = cron_home.run("cron", "schedule", "devcluster/www-data/test/bad", str(bad),
                         "--bind", "job=bad", "--bind", "policy=CANCEL_NEW")
    assert done.returncode == 3 and "invalid cron schedule '61 * * * *'" in done.stderr
    config = job("bad", [process("p", "true")], cron="every minute")
    with pytest.raises(SchedulerError, match="Invalid cron schedule: 'every minute'"):
        fast_cron.client().call("scheduleCronJob", config)


def test_schedules_survive_a_devcluster_restart(tmp_path, home):
    cluster = Devcluster(tmp_path / "state")
    assert cluster.command("start", "--cron-clock-speed", "60").returncode == 0
    home.use(cluster)
    try:
        assert home.run("cron", "schedule", CRON_KEY, CRON_FILE).returncode == 0
        cluster.stop()
        assert cluster.command("start", "--cron-clock-speed", "60").returncode == 0
        assert home.run("cron", "show", CRON_KEY).returncode == 0
        wait_for(lambda: tasks(home, CRON_KEY), timeout=30, what="a run after the restart")
    finally:
        cluster.stop()


def test_quota_set_get_round_trip_and_text(cron_home):
    done = cron_home.run("quota", "set", "devcluster/quota-role", "--cpus", "2.5", "--ram",
                         "1GB", "--disk", "1536MB")
    assert done.returncode == 0, done.stderr
    text = cron_home.run("quota", "get", "devcluster/quota-role")
    assert text.returncode == 0
    assert text.stdout.splitlines()[:4] == ["Allocated:", "  CPU: 2.5 core(s)",
                                            "  RAM: 1024 MB", "  Disk: 1536 MB"]
    assert "Production shared pool resources consumed:" in text.stdout
    data = json.loads(cron_home.run("quota", "get", "devcluster/quota-role",
                                    "--write-json").stdout)
    assert sorted(data["quota"]["resources"], key=str) == sorted(
        [{"numCpus": 2.5}, {"ramMb": 1024}, {"diskMb": 1536}], key=str)
    table = cron_home.run("quota", "get", "devcluster/quota-role", "--output-format",
                          "table").stdout.splitlines()
    assert table[0].split() == ["POOL", "CPUS", "RAM_MB", "DISK_MB", "GPUS"]
    assert table[1].split() == ["allocated", "2.5", "1024", "1536", "0"]
    assert "{" not in "".join(table), "columns, not JSON blobs"
    bad = cron_home.run("quota", "set", "devcluster/quota-role", "--cpus", "1", "--ram",
                        "lots", "--disk", "1GB")
    assert bad.returncode == 6 and "invalid RAM size 'lots'" in bad.stderr


def test_production_beyond_quota_is_refused_and_nothing_created(cron_home):
    key = "devcluster/quota-role/prod/big"
    cron_home.run("quota", "set", "devcluster/quota-role", "--cpus", "2", "--ram", "1GB",
                  "--disk", "2GB")
    over = cron_home.run("job", "create", key, PROD_FILE, "--bind", "count=3")
    assert over.returncode == 4
    assert "Insufficient resource quota: CPU quota 2 exceeded by 1" in over.stderr
    assert cron_home.run("job", "status", key).returncode == 6
    fits = cron_home.run("job", "create", key, PROD_FILE, "--bind", "count=2")
    assert fits.returncode == 0, fits.stderr
    used = cron_home.run("quota", "get", "devcluster/quota-role").stdout
    assert "Production shared pool resources consumed:\n  CPU: 2.0 core(s)\n  RAM: 512 MB" \
        in used
    more = cron_home.run("job", "add", f"{key}/0", "1")
    assert more.returncode == 10 and "Insufficient resource quota" in more.stderr
    cron_home.run("job", "killall", key)
