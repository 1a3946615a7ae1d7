"""The devcluster independent of its history, and its reply cache bounded.

Prints, each with its target and PASS/FAIL:

* a read (getTasksWithoutConfigs) of a 1,000-task job with a small history, and
  again after the history has grown by `--events` task events (default
  2,000,000; histories of 4.5M have been seen) of 400,000 dead tasks: the same time
  (ratio <= 1.5);
* `aurora job create` of 10,000 instances on the small and the grown history:
  <= 0.5 s each and flat (ratio <= 1.5);
* the devcluster's resident memory growth over 32 distinct large replies with
  its default reply cache: <= 100 MB.

History is written straight into the devcluster's SQLite state (as if it had
run that long), so the benchmark takes about a minute, not days.

    python3 benchmarks/devcluster.py [--events N]
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import (  # noqa: E402
    clean_env,
    devcluster,
    finish,
    in_bench_venv,
    run_measured,
    verdict,
    wait_until,
)
from job import JOB_FILE, running  # noqa: E402


def grow_history(state_db: Path, events: int) -> None:
    """`events` events of dead (KILLED) tasks, five per task, in another role."""
    from aurora.api.idl import api

    s = api().ScheduleStatus
    db = sqlite3.connect(state_db, timeout=60)
    cycle = (s.PENDING, s.ASSIGNED, s.STARTING, s.RUNNING, s.KILLED)
    chunk = 500_000
    with db:
        for start in range(0, events, chunk):
            ids = range(start // 5, (start + chunk) // 5)
            db.executemany("INSERT INTO tasks (task_id, role, env, name, instance, status, "
                           "config_hash) VALUES (?, 'old', 'prod', ?, 0, ?, 'none')",
                           ((f"old-{i}", f"j{i % 1000}", s.KILLED) for i in ids))
            db.executemany("INSERT INTO task_events VALUES (?, ?, ?, 'history')",
                           ((f"old-{i}", 1_600_000_000_000 + i, st)
                            for i in ids for st in cycle))
    db.close()


def read_ms(client: object, key: object, runs: int = 7) -> float:
    from aurora.api.idl import api

    query = api().TaskQuery(jobKeys=[key])
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        tasks = client.get_tasks_without_configs(query)  # type: ignore[attr-defined]
        times.append((time.perf_counter() - start) * 1000)
        assert len(tasks) == 1000
    return statistics.median(times)


def create_s(aurora: str, env: dict, home: str, name: str) -> float:
    path = Path(home) / f"{name}.aurora"
    path.write_text(JOB_FILE.format(name=name, instances=10_000))
    return run_measured([aurora, "job", "create", f"devcluster/www-data/prod/{name}",
                         str(path)], env).seconds


def history(aurora: str, env: dict, home: str, events: int) -> None:
    from tests.support.jobs import job, process

    with devcluster(home) as cluster:
        client = cluster.client()
        reader = job("reader", [process("p", "true")], instances=1000, service=True,
                     env="prod")
        client.create_job(reader)
        wait_until(lambda: running(client, "reader", 1000), what="1,000 RUNNING")
        small_read = read_ms(client, reader.key)
        small_create = create_s(aurora, env, home, "before")
        grow_history(cluster.state_dir / "state.db", events)
        large_read = read_ms(client, reader.key)
        large_create = create_s(aurora, env, home, "after")
    print(f"read of a 1,000-task job: {small_read:.1f} ms with a small history, "
          f"{large_read:.1f} ms with {events:,} more events")
    verdict(f"read of 1,000 tasks, history +{events:,} events (ratio)",
            large_read / small_read, 1.5, "x")
    verdict("job create, 10,000 instances, small history", small_create, 0.5, "s")
    verdict(f"job create, 10,000 instances, history +{events:,}", large_create, 0.5, "s")
    verdict("job create, 10,000 instances, grown/small history", large_create / small_create,
            1.5, "x")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cache_memory(home: str) -> None:
    from aurora.api.idl import api
    from tests.support.devcluster import Devcluster
    from tests.support.jobs import job, process

    cluster = Devcluster(Path(home) / "cached", executor="simulate").start()
    try:
        client = cluster.client()
        big = job("big", [process("p", "true")], instances=10_000, service=True, env="prod")
        client.create_job(big)
        wait_until(lambda: running(client, "big", 10_000), what="10,000 RUNNING")
        client.get_tasks_status(api().TaskQuery(jobKeys=[big.key]))
        before = rss_mb(cluster.pid)
        for offset in range(1, 33):     # 32 distinct requests, each a large reply
            client.get_tasks_status(api().TaskQuery(jobKeys=[big.key], offset=offset))
        after = rss_mb(cluster.pid)
    finally:
        cluster.stop()
    print(f"devcluster RSS {before:.0f} MB after one large reply, {after:.0f} MB after 32 more")
    verdict("devcluster memory growth over 32 large replies", after - before, 100, "MB")


def main() -> int:
    in_bench_venv()
    events = int(sys.argv[sys.argv.index("--events") + 1]) if "--events" in sys.argv \
        else 2_000_000
    aurora = str(Path(sys.executable).parent / "aurora")
    with tempfile.TemporaryDirectory() as home:
        env = clean_env(home)
        history(aurora, env, home, events)
        cache_memory(home)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
