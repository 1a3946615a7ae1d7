"""Switching from upstream's client replaces no instance.

The job is created straight over thrift with the executor data upstream's Python 2
client wrote for the same file (tests/fixtures/py2/jobs--switch.txt, written by CPython
2.7 on Aurora 0.22's schema: see tests/unit/test_py2order.py); then our client updates
it from that file, as a team that just switched would, and the scheduler finds nothing
to replace.
"""

from __future__ import annotations

from tests.conftest import FIXTURES
from tests.support.devcluster import Devcluster

JOB_FILE = str(FIXTURES / "jobs" / "switch.aurora")
UPSTREAM_DATA = (FIXTURES / "py2" / "jobs--switch.txt").read_text().strip()
KEY = "devcluster/www-data/test/switch"


def test_an_update_after_switching_clients_replaces_nothing(home, tmp_path):
    from aurora.config.job import load_job
    from aurora.jobkey import parse_job_key

    cluster = Devcluster(tmp_path / "state", executor="simulate").start()
    try:
        home.use(cluster)
        config = load_job(JOB_FILE, parse_job_key(KEY)).thrift
        config.taskConfig.executorConfig.data = UPSTREAM_DATA     # as upstream sent it
        cluster.client().create_job(config)
        diff = home.run("job", "diff", KEY, JOB_FILE)
        assert diff.returncode == 0, diff.stderr
        assert "not change instances: [0-1]" in diff.stdout and "update instances" not in \
            diff.stdout, diff.stdout
        update = home.run("update", "start", KEY, JOB_FILE, "--wait")
        assert update.returncode == 0, update.stderr
        assert "Noop update" in update.stdout + update.stderr, update.stdout + update.stderr
    finally:
        cluster.stop()
