"""Values that used to slip through: '..' names, tunnel hosts that are ssh options,
and loopback addresses written the short way."""

from __future__ import annotations

import time

import pytest

from tests.support.devcluster import free_port


@pytest.mark.parametrize("name", ["..", "."])
def test_dot_names_are_refused(home, name):
    for key in (f"devcluster/www-data/prod/{name}", f"devcluster/{name}/prod/hello"):
        typed = home.run("job", "status", key)
        assert typed.returncode == 6 and "cannot be used" in typed.stderr, typed.stderr


@pytest.mark.parametrize("where", ["flag", "clusters.json"])
def test_a_tunnel_host_that_is_an_ssh_option_runs_nothing(home, tmp_path, where):
    witness = tmp_path / "ran"
    via = f"-oProxyCommand=touch {witness}"
    entry = {"name": "far", "scheduler_uri": "http://10.9.9.9:8081"}
    if where == "clusters.json":
        entry["tunnel_host"] = via
    home.write_clusters([entry])
    args = ["--tunnel", via] if where == "flag" else []
    done = home.run(*args, "job", "list", "far/www-data", timeout=30)
    assert done.returncode == 6, done.stderr
    assert "invalid tunnel host" in done.stderr and "\n" not in done.stderr.strip()
    assert not witness.exists()


@pytest.mark.parametrize("host", ["127.1", "0x7f.1", "127.0.0.1"])
def test_a_refused_loopback_connection_is_reported_at_once(home, host):
    home.write_clusters([{"name": "local", "scheduler_uri": f"http://{host}:{free_port()}"}])
    started = time.monotonic()
    done = home.run("job", "list", "local/www-data", timeout=60)
    assert done.returncode == 7, done.stderr
    assert time.monotonic() - started < 5, "a refused loopback connection was retried"


@pytest.mark.parametrize("value,refused", [("1.5", True), ("True", True), ("2.0", False)])
def test_instances_must_be_a_whole_number(dev_home, tmp_path, value, refused):
    """inspect asks the scheduler for its tiers: the session's devcluster answers."""
    job_file = tmp_path / "loose.aurora"
    job_file.write_text(
        "jobs = [Job(cluster='devcluster', role='www-data', environment='prod', name='hello', "
        f"instances={value}, task=Task(name='t', processes=[Process(name='p', cmdline='echo')], "
        "resources=Resources(cpu=0.1, ram=16*MB, disk=16*MB)))]\n")
    done = dev_home.run("job", "inspect", "devcluster/www-data/prod/hello", str(job_file))
    if refused:
        assert done.returncode == 3 and "instances must be a whole number" in done.stderr
    else:
        assert done.returncode == 0, done.stderr
