"""Hostile input: the checked-in corpus through the real `aurora`, and the size and job-file
guards against a real devcluster. Every case ends in a documented exit code, never 20,
with a one-line message and no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from tests.conftest import FIXTURES, ROOT, aurora_bin
from tests.support.hostile import Sandbox, load_cases

SERVICE = str(FIXTURES / "jobs" / "service.aurora")
CASES = load_cases()


def test_the_corpus_is_large_and_covers_argv_job_files_and_config_files():
    assert len(CASES) >= 120
    assert sum(1 for c in CASES if c.config) >= 25
    assert sum(1 for c in CASES if any("/hostile/jobs/" in w for w in c.argv)) >= 40


def test_every_corpus_case_in_one_batch():
    """All cases, in one interpreter (`python -m tests.support.hostile`)."""
    done = subprocess.run([sys.executable, "-m", "tests.support.hostile"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(results) == len(CASES)
    failures = [f"{r['case']}: {r['problem']}" for r in results if r["problem"]]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("case", CASES[::5], ids=lambda c: f"line{c.line}")
def test_representative_cases_through_the_real_aurora(case, tmp_path):
    outcome = Sandbox(tmp_path).run(case, aurora_bin())
    assert outcome.problem(case.codes) is None, outcome.problem(case.codes)


def test_huge_instance_ranges_fail_fast_naming_the_bound(dev_home):
    for verb in ("kill", "restart"):
        started = time.monotonic()
        done = dev_home.run("job", verb, "devcluster/www-data/test/x/0-9999999999999999999")
        assert done.returncode == 6, done.stderr
        assert "instance ids run from 0 to 99999" in done.stderr
        assert time.monotonic() - started < 20        # no list of 10**19 ids was built


def test_devcluster_refuses_jobs_past_its_task_cap(dev_home):
    key = "devcluster/www-data/test/capped"
    big = dev_home.run("job", "create", key, SERVICE, "--bind", "job=capped",
                       "--bind", "count=10001")
    assert big.returncode != 0 and big.returncode != 20
    assert "more than the 10000 this scheduler allows per job" in big.stderr
    assert dev_home.run("job", "list", "devcluster/www-data/test/cap*").stdout == ""
    created = dev_home.run("job", "create", key, SERVICE, "--bind", "job=capped",
                           "--bind", "count=1")
    assert created.returncode == 0, created.stderr
    try:
        added = dev_home.run("job", "add", f"{key}/0", "10000")
        assert added.returncode not in (0, 20), added.stderr
        assert "would have 10001 tasks" in added.stderr
        assert len(added.stderr.strip().splitlines()) <= 2      # progress line + the error
        status = json.loads(dev_home.run("job", "status", key, "--write-json").stdout)
        assert [t["assignedTask"]["instanceId"] for t in status[0]["active"]] == [0]
    finally:
        dev_home.run("job", "killall", key)


def test_job_file_cannot_fake_success_or_write_on_stdout(dev_home, tmp_path):
    job_file = tmp_path / "noisy.aurora"
    job_file.write_text(open(SERVICE).read() + "\nprint('from the job file')\n"
                        "import os\nos.write(1, b'raw bytes from the job file\\n')\n")
    key = "devcluster/www-data/test/noisy"
    inspected = dev_home.run("job", "inspect", key, str(job_file), "--bind", "job=noisy",
                             "--write-json")
    assert inspected.returncode == 0, inspected.stderr
    json.loads(inspected.stdout)                    # stdout is the JSON and nothing else
    assert "from the job file" in inspected.stderr
    assert "raw bytes from the job file" in inspected.stderr
    quitter = tmp_path / "quitter.aurora"
    quitter.write_text(open(SERVICE).read() + "\nraise SystemExit(0)\n")
    done = dev_home.run("job", "create", key, str(quitter), "--bind", "job=noisy")
    assert done.returncode == 3, done.stderr
    assert f"{quitter}:" in done.stderr and "tried to exit" in done.stderr
    assert dev_home.run("job", "list", f"{key}*").stdout == ""     # nothing was created


def test_devcluster_clips_huge_instance_ranges_from_the_wire(devcluster):
    from aurora.api.idl import api
    from tests.support.jobs import job, process

    a = api()
    config = job("ranges", [process("p", "sleep 300")], instances=2, service=True)
    request = a.JobUpdateRequest(
        taskConfig=config.taskConfig, instanceCount=2,
        settings=a.JobUpdateSettings(updateOnlyTheseInstances={a.Range(first=0,
                                                                     last=2**31 - 1)}))
    client = devcluster.client()
    started = time.monotonic()
    diff = client.call("getJobUpdateDiff", request).result.getJobUpdateDiffResult
    assert time.monotonic() - started < 20            # no set of 2**31 ids was built
    assert sorted(i for r in diff.add for g in r.instances
                  for i in range(g.first, g.last + 1)) == [0, 1]
    too_big = job("toobig", [process("p", "true")], instances=10_001)
    from aurora.api.client import SchedulerError

    with pytest.raises(SchedulerError, match="more than the 10000"):
        client.create_job(too_big)


def test_a_password_in_a_bad_scheduler_uri_is_not_printed(tmp_path):
    (case,) = [c for c in CASES if c.config == "uri_password_bad_port"]
    outcome = Sandbox(tmp_path).run(case, aurora_bin())
    assert outcome.code == 3 and "scheduler_uri" in outcome.stderr
    assert "hunter2" not in outcome.stderr + outcome.stdout
