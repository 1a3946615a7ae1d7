"""The job noun at size, end to end: the real `aurora` against a simulated devcluster.

Prints:
* `aurora job status` of a 1-instance job against `python -c pass` (target <= 5x);
* `aurora job status` of a 10,000-instance job, wall time and peak memory
  (target <= 1.0 s);
* `aurora job list` over 1,000 / 10,000 / 100,000 jobs (target <= 2 s at 100,000,
  and linear growth: 10x the jobs in <= 11x the time).

Jobs for `job list` are written straight into the devcluster's SQLite state
(as if created earlier), so the figures measure listing, not creation.

    .venv/bin/python benchmarks/job.py [--quick]     # --quick stops at 10,000 jobs
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import BIN, clean_env, median_ms, run_measured  # noqa: E402

from aurora.api.idl import api, serialize  # noqa: E402
from tests.support.devcluster import Devcluster, wait_for  # noqa: E402
from tests.support.jobs import job, process  # noqa: E402

AURORA = str(BIN / "aurora")


def populate(state_db: Path, role: str, count: int) -> None:
    """Write `count` one-instance RUNNING jobs of `role` into the devcluster state."""
    import sqlite3

    a = api()
    template = job("x", [process("main", "serve")], role=role, env="prod").taskConfig
    running = a.ScheduleStatus.RUNNING
    db = sqlite3.connect(state_db, timeout=60)
    configs, tasks = [], []
    for i in range(count):
        name = f"job{i:06d}"
        template.job = a.JobKey(role=role, environment="prod", name=name)
        digest = f"bench-{role}-{i}"
        configs.append((digest, serialize(template)))
        tasks.append((f"{digest}-0", role, "prod", name, 0, running, digest))
    with db:
        db.executemany("INSERT INTO task_configs VALUES (?, ?)", configs)
        db.executemany("INSERT INTO tasks (task_id, role, env, name, instance, status, "
                       "config_hash) VALUES (?, ?, ?, ?, ?, ?, ?)", tasks)
    db.close()


def main() -> int:
    quick = "--quick" in sys.argv
    with tempfile.TemporaryDirectory() as home:
        cluster = Devcluster(Path(home) / "devcluster", executor="simulate").start()
        env = clean_env(home)
        etc = Path(env["AURORA_CONFIG_ROOT"])
        etc.mkdir(parents=True)
        (etc / "clusters.json").write_text(json.dumps([cluster.cluster_entry()]))
        try:
            client = cluster.client()
            small = job("small", [process("p", "true")], service=True)
            big = job("big", [process("p", "true")], instances=10_000, service=True)
            client.create_job(small)
            client.create_job(big)
            query = api().TaskQuery(jobKeys=[big.key], statuses={api().ScheduleStatus.RUNNING})
            wait_for(lambda: len(client.get_tasks_without_configs(query)) == 10_000,
                     timeout=120, interval=0.5, what="10,000 RUNNING")

            base = median_ms([sys.executable, "-c", "pass"], env)
            one = median_ms([AURORA, "job", "status", "devcluster/www-data/test/small"], env)
            print(f"job status, 1 instance: {one:.1f} ms vs python -c pass {base:.1f} ms = "
                  f"{one / base:.2f}x (target <= 5x)")

            runs = [run_measured([AURORA, "job", "status", "devcluster/www-data/test/big"],
                                 env) for _ in range(3)]
            seconds = statistics.median(r[0] for r in runs)
            print(f"job status, 10,000 instances: {seconds:.2f} s, peak memory "
                  f"{max(r[1] for r in runs)} MB, {len(runs[0][2]) / 1e6:.1f} MB of text "
                  f"(target <= 1.0 s)")

            sizes = [1_000, 10_000] + ([] if quick else [100_000])
            timings = {}
            for size in sizes:
                role = f"list{size}"
                populate(cluster.state_dir / "state.db", role, size)
                results = [run_measured([AURORA, "job", "list", f"devcluster/{role}"], env)
                           for _ in range(3)]
                lines = results[0][2].count(b"\n")
                assert lines == size, f"expected {size} jobs, listed {lines}"
                timings[size] = statistics.median(r[0] for r in results)
                print(f"job list, {size:,} jobs: {timings[size]:.2f} s, peak memory "
                      f"{max(r[1] for r in results)} MB")
            for small_n, large_n in zip(sizes, sizes[1:], strict=False):
                ratio = timings[large_n] / timings[small_n]
                print(f"job list growth {small_n:,} -> {large_n:,}: {ratio:.1f}x time for "
                      f"{large_n // small_n}x jobs (target <= 11x)")
        finally:
            cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
