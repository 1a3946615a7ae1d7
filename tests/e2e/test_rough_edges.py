"""What a new user runs into first: each rough edge, through the real `aurora`."""

from __future__ import annotations

import json
import subprocess
import time

from tests.conftest import BIN, EXAMPLES, FIXTURES
from tests.support.devcluster import Devcluster, wait_for

SERVICE = str(FIXTURES / "jobs" / "service.aurora")


def one_line(done: subprocess.CompletedProcess) -> str:
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    return lines[0]


def test_configuration_mistakes_are_named_with_their_file(home, tmp_path):
    key = "west/www-data/prod/hello"
    clusters = home.write_clusters([{"name": "west", "scheduler_uri": "not a url"}])
    started = time.monotonic()
    bad_uri = home.run("job", "status", key)
    assert bad_uri.returncode == 3 and time.monotonic() - started < 20
    assert f"{clusters}: cluster 'west' field scheduler_uri 'not a url' is not an http(s) " \
           "URL" in one_line(bad_uri)
    clusters.write_text('{"name": "west", "scheduler_uri": "http://127.0.0.1:9"}')
    not_a_list = home.run("job", "status", key)
    assert not_a_list.returncode == 3
    assert "must be a JSON list of clusters, not an object" in one_line(not_a_list)
    clusters.write_text('[{"nam": "west", "scheduler_uri": "http://127.0.0.1:9"}]')
    config = home.write_client_config("[outptu]\nformat = 'json'\n[devcluster]\n"
                                      "autostart = false\n")
    typos = home.run("job", "status", key)
    assert f"aurora: warning: {clusters}: cluster entry 1 has an unknown key 'nam' (did you " \
           "mean 'name'?)" in typos.stderr
    assert f"aurora: warning: {config}: unknown section [outptu] (did you mean [output]?); " \
           "it is ignored" in typos.stderr
    assert typos.returncode == 3 and "unknown cluster" in typos.stderr.lower()
    home.write_client_config("[output]\nformat = 'xml'\n")
    xml = home.run("config", "list", str(EXAMPLES / "hello_world.aurora"))
    assert xml.returncode == 3
    assert f"{config}: [output] format 'xml' is not an output format" in one_line(xml)
    home.write_client_config("[plugins]\ndisable = ['cron']\n")
    disabled = home.run("cron", "show", "devcluster/www-data/test/x")
    assert disabled.returncode == 5
    assert f"the cron plugin is disabled in {config}" in one_line(disabled)


def test_command_line_mistakes(home, tmp_path):
    home.write_client_config("[devcluster]\nautostart = false\n")
    key = "devcluster/www-data/prod/hello"
    misspelt = home.run("job", "create", key, str(EXAMPLES / "hello_world.aurora"),
                        "--wait-untl", "RUNNING")
    assert misspelt.returncode == 5
    assert one_line(misspelt) == ("aurora: error: unknown option '--wait-untl'; did you mean "
                                  "--wait-until?; see the options with: aurora help job create")
    first = home.run("job", "create", "--wait-untl", "RUNNING", key,
                     str(EXAMPLES / "hello_world.aurora"))
    assert first.returncode == 5        # the option, not 'invalid job key RUNNING'
    assert one_line(first) == one_line(misspelt)
    after_dashes = home.run("completion", "complete", "--cword", "2", "--", "job", "create",
                            "--wai")       # words after -- are not options: no complaint
    assert after_dashes.returncode == 0 and "--wait-until" in after_dashes.stdout
    folder = home.run("job", "create", key, str(tmp_path))
    assert folder.returncode == 3 and f"{tmp_path}: is a directory" in one_line(folder)
    usage = subprocess.run([str(BIN / "aurora-devcluster"), "strat"], capture_output=True,
                           text=True)
    assert usage.returncode == 5 and "invalid choice: 'strat'" in usage.stderr


def test_devcluster_start_names_the_matching_stop(tmp_path):
    cluster = Devcluster(tmp_path / "own state", executor="simulate")
    try:
        started = cluster.command("start")
        assert started.returncode == 0, started.stderr
        hint = started.stdout.split("stop it with: ")[1].strip()
        assert hint == (f"aurora-devcluster stop --port {cluster.port} "
                        f"--state-dir '{tmp_path / 'own state'}'")
        stopped = subprocess.run(hint.replace("aurora-devcluster", str(BIN / "aurora-devcluster"),
                                              1), shell=True, capture_output=True, text=True)
        assert stopped.returncode == 0 and "devcluster stopped" in stopped.stdout
    finally:
        cluster.stop()


FLAPPING = """
jobs = [Service(cluster = 'devcluster', role = 'edges', environment = 'test', name = 'flap',
                instances = 3,
                task = Task(processes = [Process(name = 'flap', cmdline = 'exit 1')],
                            resources = Resources(cpu = 0.1, ram = 16*MB, disk = 16*MB)))]
"""


def test_status_quota_and_formats_of_a_flapping_service(dev_home, tmp_path):
    key = "devcluster/edges/test/flap"
    job_file = tmp_path / "flap.aurora"
    job_file.write_text(FLAPPING)
    assert dev_home.run("job", "create", key, str(job_file)).returncode == 0
    try:
        def throttled() -> list[str]:
            status = dev_home.run("job", "status", key).stdout
            return [line for line in status.splitlines() if "status: THROTTLED" in line]
        lines = wait_for(throttled, timeout=60, what="a THROTTLED replacement")
        assert not any(" on " in line for line in lines)          # not placed: no host part
        text = dev_home.run("job", "status", key).stdout
        assert text.startswith(f"Job {key}:\nActive tasks (")       # the header, even for one
        assert "(it ran less than 10s: held back 5s)" in text       # first time: 5 s, as doc'd
        assert "held back 10s" not in text.split("held back 5s")[0]
        quota = dev_home.run("quota", "get", "devcluster/edges")
        assert "  CPU: 0.3 core(s)" in quota.stdout, quota.stdout
        columns = dev_home.run("job", "list", "devcluster/edges", "--columns", "job")
        assert columns.stdout == f"{key}\n"
        assert "--columns applies to table and csv output only; ignored with text" in \
            one_line(columns)
        dev_home.write_client_config("[devcluster]\nautostart = false\n[output]\n"
                                     "format = 'table'\n")
        failed = dev_home.run("job", "status", "devcluster/edges/test/none")
        assert failed.returncode == 6 and failed.stdout == ""
        assert "Found no jobs matching" in one_line(failed)
    finally:
        dev_home.run("job", "killall", key)


def test_diff_shows_only_real_changes_and_status_explains_cron(dev_home, tmp_path):
    key = "devcluster/www-data/test/edgediff"
    binds = ("--bind", "job=edgediff")
    assert dev_home.run("job", "create", key, SERVICE, *binds).returncode == 0
    try:
        changed = tmp_path / "changed.aurora"
        changed.write_text(open(SERVICE).read().replace("sleep 300", "sleep 301"))
        diff = dev_home.run("job", "diff", key, str(changed), *binds)
        assert diff.returncode == 0, diff.stderr
        moved = [line for line in diff.stdout.splitlines() if line[:2] in ("< ", "> ")]
        assert moved and all("sleep 30" in line for line in moved), diff.stdout
    finally:
        dev_home.run("job", "killall", key)
    cron_key = "devcluster/www-data/test/edges_cron"
    cron_file = tmp_path / "cron.aurora"
    cron_file.write_text((EXAMPLES / "cron_hello_world.aurora").read_text().replace(
        "name = 'cron_hello_world'", "name = 'edges_cron'"))
    assert dev_home.run("cron", "schedule", cron_key, str(cron_file)).returncode == 0
    try:
        status = dev_home.run("job", "status", cron_key)
        assert status.returncode == 0, status.stderr
        assert status.stdout == (f"Job {cron_key}:\nA cron template with no active tasks; "
                                 f"schedule: */5 * * * * (aurora cron show {cron_key})\n")
        as_json = json.loads(dev_home.run("job", "status", cron_key, "--write-json").stdout)
        assert as_json == [{"job": cron_key, "active": [], "inactive": [],
                            "cron_schedule": "*/5 * * * *"}]
    finally:
        dev_home.run("cron", "deschedule", cron_key)
