"""The sla noun at size, end to end: the real `aurora` against a simulated devcluster.

Prints, for a 10,000-instance job (all RUNNING), the median wall time and peak
memory of `aurora sla get-task-up-count` and `aurora sla get-job-uptime`
(target <= 1.0 s each), with a verdict; measured from the benchmark install
against a devcluster whose reply cache is off (see common.py).

    python3 benchmarks/sla.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import (  # noqa: E402
    clean_env,
    devcluster,
    finish,
    in_bench_venv,
    median_of,
    run_measured,
    verdict,
    wait_until,
)

INSTANCES = 10_000
TARGET_SECONDS = 1.0


def main() -> int:
    in_bench_venv()
    from aurora.api.idl import api
    from tests.support.jobs import job, process

    aurora = str(Path(sys.executable).parent / "aurora")
    with tempfile.TemporaryDirectory() as home:
        env = clean_env(home)
        with devcluster(home) as cluster:
            client = cluster.client()
            big = job("big", [process("p", "true")], instances=INSTANCES, service=True)
            client.create_job(big)
            query = api().TaskQuery(jobKeys=[big.key], statuses={api().ScheduleStatus.RUNNING})
            wait_until(lambda: len(client.get_tasks_without_configs(query)) == INSTANCES,
                       timeout=180, what=f"{INSTANCES:,} RUNNING")
            key = "devcluster/www-data/test/big"
            for verb in ("get-task-up-count", "get-job-uptime"):
                run_measured([aurora, "sla", verb, key], env)          # warm caches
                done = median_of([aurora, "sla", verb, key], env, runs=5)
                verdict(f"sla {verb}, {INSTANCES:,} instances", done.seconds, TARGET_SECONDS,
                        "s", f"peak {done.peak_mb:.0f} MB")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
