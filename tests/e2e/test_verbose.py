"""`-v`: which cluster and scheduler URL a command uses, how it was found, and each call
with its duration and outcome; and a local devcluster that is not the user's own is
named rather than used silently (issue 28, item 6)."""

from __future__ import annotations

import re

from tests.support.latencyproxy import LatencyProxy


def test_without_v_nothing_is_said(dev_home):
    done = dev_home.run("job", "list", "devcluster/www-data")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_v_names_the_cluster_its_url_its_source_and_each_call(dev_home, devcluster):
    done = dev_home.run("-v", "job", "list", "devcluster/www-data")
    assert done.returncode == 0, done.stderr
    clusters = dev_home.config_root / "clusters.json"
    assert (f"INFO aurora: cluster devcluster (from {clusters}): scheduler_uri "
            f"{devcluster.url}\n") in done.stderr
    assert re.search(rf"^INFO aurora: getJobs {re.escape(devcluster.url)}/api: OK in "
                     r"\d+\.\d ms$", done.stderr, re.M), done.stderr
    assert "DEBUG stevedore" not in done.stderr         # other libraries' chatter stays out


def test_v_names_a_failed_call_and_its_duration(home):
    home.write_clusters([{"name": "gone", "scheduler_uri": "http://127.0.0.1:9"}])
    done = home.run("-v", "job", "list", "gone/www-data")
    assert done.returncode == 7, done.stderr
    assert re.search(r"^INFO aurora: getJobs http://127.0.0.1:9/api: failed \(cannot reach "
                     r"the scheduler at .*\) in \d+\.\d ms$", done.stderr, re.M), done.stderr


def _local(home, url: str) -> None:
    """A cluster the client treats as a local devcluster (it may autostart it)."""
    home.write_clusters([{"name": "local", "scheduler_uri": url, "autostart": True}])


def test_the_users_own_devcluster_is_named_with_its_state_dir(home, devcluster):
    _local(home, devcluster.url)
    env = home.env(AURORA_DEVCLUSTER_STATE_DIR=str(devcluster.state_dir))
    done = home.run("-v", "job", "list", "local/www-data", env=env)
    assert done.returncode == 0, done.stderr
    assert re.search(rf"^INFO aurora: the devcluster at {re.escape(devcluster.url)} was "
                     rf"already running \(pid \d+, state dir {re.escape(str(devcluster.state_dir))}"
                     r"\)$", done.stderr, re.M), done.stderr
    assert "warning" not in done.stderr
    quiet = home.run("job", "list", "local/www-data", env=env)
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr


def test_a_devcluster_of_another_state_dir_is_named_once(home, devcluster):
    _local(home, devcluster.url)            # the user's state dir is home.devcluster_state
    done = home.run("job", "list", "local/www-data")
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"aurora: warning: the devcluster at {devcluster.url} runs from "
                               f"{devcluster.state_dir} (pid ")
    assert f"not from your state dir {home.devcluster_state}" in lines[0]
    assert f"aurora-devcluster stop --state-dir {devcluster.state_dir}" in lines[0]


def test_something_else_on_a_local_devclusters_port_is_named(home, devcluster):
    with LatencyProxy(devcluster.url) as proxy:
        _local(home, proxy.url)
        done = home.run("job", "list", "local/www-data")
    assert done.returncode == 0, done.stderr
    assert done.stderr == (f"aurora: warning: something other than the devcluster of state "
                           f"dir {home.devcluster_state} answers at {proxy.url}; this command "
                           "talks to it (stop it, or point the cluster at another port)\n")


def test_v_names_the_state_dir_of_an_autostarted_devcluster(home):
    import subprocess

    from tests.support.devcluster import BIN, free_port

    port = free_port()
    _local(home, f"http://127.0.0.1:{port}")
    try:
        done = home.run("-v", "job", "list", "local/www-data")
        assert done.returncode == 0, done.stderr
        assert f"aurora: started the devcluster at http://127.0.0.1:{port}" in done.stderr
        assert (f"INFO aurora: the devcluster's state dir is {home.devcluster_state} "
                "(its log: devcluster.log there)\n") in done.stderr
    finally:
        subprocess.run([str(BIN / "aurora-devcluster"), "stop", "--state-dir",
                        str(home.devcluster_state)], capture_output=True, env=home.env())
