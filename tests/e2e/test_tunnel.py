"""The tunnel plugin through a real OpenSSH server: used, then torn down, also on Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import time

from tests.conftest import FIXTURES, aurora_bin
from tests.support.devcluster import wait_for

SERVICE = str(FIXTURES / "jobs" / "service.aurora")


def ssh_processes(port: int) -> list[str]:
    found = subprocess.run(["pgrep", "-af", f"ssh -N .*-p {port}"], capture_output=True,
                           text=True).stdout
    return [line for line in found.splitlines() if "pgrep" not in line]


def tunnel_home(home, devcluster, sshd, via_cluster: bool = False):
    entry = devcluster.cluster_entry()
    if via_cluster:
        entry["tunnel_host"] = sshd.target
    home.write_clusters([entry])
    home.write_client_config("[devcluster]\nautostart = false\n[plugin.tunnel]\n"
                             f"ssh_options = \"{sshd.ssh_options}\"\n")
    return home


def test_commands_go_through_the_tunnel_and_it_closes(home, devcluster, sshd):
    tunnel_home(home, devcluster, sshd)
    before = sshd.log.read_text().count("direct-tcpip")
    done = home.run("--tunnel", sshd.target, "-v", "job", "list", "devcluster/www-data")
    assert done.returncode == 0, done.stderr
    assert "tunnel 127.0.0.1:" in done.stderr and f"via {sshd.target}" in done.stderr
    wait_for(lambda: sshd.log.read_text().count("direct-tcpip") > before,
             what="sshd to log the forwarded connection")
    assert ssh_processes(sshd.port) == []
    tunnel_home(home, devcluster, sshd, via_cluster=True)
    per_cluster = home.run("job", "list", "devcluster/www-data")
    assert per_cluster.returncode == 0, per_cluster.stderr
    assert ssh_processes(sshd.port) == []
    failing = home.run("job", "status", "devcluster/www-data/test/no-such-job")
    assert failing.returncode == 6                     # an error after the tunnel opened ...
    assert ssh_processes(sshd.port) == []              # ... still closes it


def test_tunnel_failure_is_one_line_exit_7(home, devcluster, sshd):
    tunnel_home(home, devcluster, sshd)
    home.write_client_config("[devcluster]\nautostart = false\n[plugin.tunnel]\n"
                             "ssh_options = \"-o StrictHostKeyChecking=no "
                             "-o UserKnownHostsFile=/dev/null -i /nonexistent\"\n")
    done = home.run("--tunnel", sshd.target, "job", "list", "devcluster/www-data")
    assert done.returncode == 7 and "the ssh tunnel through" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_ctrl_c_tears_the_tunnel_down(home, devcluster, sshd):
    tunnel_home(home, devcluster, sshd)
    key = "devcluster/www-data/test/tunneled"
    proc = subprocess.Popen([aurora_bin(), "--tunnel", sshd.target, "job", "create", key,
                             SERVICE, "--bind", "job=tunneled", "--bind", "count=1",
                             "--wait-until", "FINISHED"], env=home.env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: ssh_processes(sshd.port), what="the tunnel to open")
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    wait_for(lambda: not ssh_processes(sshd.port), timeout=10, what="the tunnel to close")
    home.run("job", "killall", key)
