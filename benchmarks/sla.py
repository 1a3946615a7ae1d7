"""The sla noun at size, end to end: the real `aurora` against a simulated devcluster.

Prints, for a 10,000-instance job (all RUNNING), the median wall time and peak
memory of `aurora sla get-task-up-count` and `aurora sla get-job-uptime`
(target <= 1.0 s each), with a verdict.

    .venv/bin/python benchmarks/sla.py
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import BIN, clean_env, run_measured  # noqa: E402

from aurora.api.idl import api  # noqa: E402
from tests.support.devcluster import Devcluster, wait_for  # noqa: E402
from tests.support.jobs import job, process  # noqa: E402

AURORA = str(BIN / "aurora")
INSTANCES = 10_000
TARGET_SECONDS = 1.0


def main() -> int:
    with tempfile.TemporaryDirectory() as home:
        cluster = Devcluster(Path(home) / "devcluster", executor="simulate").start()
        env = clean_env(home)
        etc = Path(env["AURORA_CONFIG_ROOT"])
        etc.mkdir(parents=True)
        (etc / "clusters.json").write_text(json.dumps([cluster.cluster_entry()]))
        verdicts = []
        try:
            client = cluster.client()
            big = job("big", [process("p", "true")], instances=INSTANCES, service=True)
            client.create_job(big)
            query = api().TaskQuery(jobKeys=[big.key], statuses={api().ScheduleStatus.RUNNING})
            wait_for(lambda: len(client.get_tasks_without_configs(query)) == INSTANCES,
                     timeout=180, interval=0.5, what=f"{INSTANCES:,} RUNNING")
            key = "devcluster/www-data/test/big"
            for verb in ("get-task-up-count", "get-job-uptime"):
                run_measured([AURORA, "sla", verb, key], env)          # warm caches
                runs = [run_measured([AURORA, "sla", verb, key], env) for _ in range(5)]
                seconds = statistics.median(r[0] for r in runs)
                ok = seconds <= TARGET_SECONDS
                verdicts.append(ok)
                print(f"sla {verb}, {INSTANCES:,} instances: {seconds:.2f} s, peak memory "
                      f"{max(r[1] for r in runs)} MB (target <= {TARGET_SECONDS:.1f} s): "
                      f"{'PASS' if ok else 'FAIL'}")
        finally:
            cluster.stop()
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
