"""The job noun at size: the installed `aurora` against a simulated devcluster.

Prints, each with its target and PASS/FAIL (wall time and peak memory are the
`aurora` process's own; the devcluster's reply cache is off):

* `job status` of 10,000 instances: text <= 0.3 s, JSON <= 0.6 s;
* `job status --write-json` of 50,000 instances: <= 3 s and <= 300 MB;
* `job create` of 10,000 instances: <= 0.5 s;
* growth from 1,000 to 10,000 / 50,000 / 100,000 instances (jobs, for `job list`)
  of status (text and JSON), create, killall and list, as the time ratio per 10x
  of work (<= 11x);
* `job restart` of 100 instances in batches of 10, replacements RUNNING at once
  (simulated), --watch-secs 0: <= 1 s.

Jobs for `job list` are written straight into the devcluster's SQLite state, so
the figures measure listing, not creation.

    python3 benchmarks/job.py [--quick]     # --quick stops at 10,000
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import (  # noqa: E402
    clean_env,
    devcluster,
    finish,
    growth,
    in_bench_venv,
    median_of,
    run_measured,
    verdict,
    wait_until,
)

JOB_FILE = """
jobs = [Service(cluster = 'devcluster', role = 'www-data', environment = 'prod',
                name = '{name}', instances = {instances},
                task = SequentialTask(processes = [Process(name = 'main', cmdline = 'serve')],
                                      resources = Resources(cpu = 0.001, ram = 1*MB,
                                                            disk = 1*MB)))]
"""


def populate(state_db: Path, role: str, count: int) -> None:
    """Write `count` one-instance RUNNING jobs of `role` into the devcluster state."""
    from aurora.api.idl import api, serialize
    from tests.support.jobs import job, process

    a = api()
    template = job("x", [process("main", "serve")], role=role, env="prod").taskConfig
    configs, tasks = [], []
    for i in range(count):
        name = f"job{i:06d}"
        template.job = a.JobKey(role=role, environment="prod", name=name)
        digest = f"bench-{role}-{i}"
        configs.append((digest, serialize(template)))
        tasks.append((f"{digest}-0", role, "prod", name, 0, a.ScheduleStatus.RUNNING, digest))
    db = sqlite3.connect(state_db, timeout=60)
    with db:
        db.executemany("INSERT INTO task_configs VALUES (?, ?)", configs)
        db.executemany("INSERT INTO tasks (task_id, role, env, name, instance, status, "
                       "config_hash) VALUES (?, ?, ?, ?, ?, ?, ?)", tasks)
    db.close()


def running(client: object, name: str, count: int) -> bool:
    from aurora.api.idl import api

    a = api()
    query = a.TaskQuery(jobKeys=[a.JobKey(role="www-data", environment="prod", name=name)],
                        statuses={a.ScheduleStatus.RUNNING})
    return len(client.get_tasks_without_configs(query)) == count  # type: ignore[attr-defined]


def one_size(aurora: str, env: dict, home: str, cluster: object, size: int,
             figures: dict[str, dict[int, float]]) -> None:
    name = f"c{size}"
    key = f"devcluster/www-data/prod/{name}"
    path = Path(home) / f"{name}.aurora"
    path.write_text(JOB_FILE.format(name=name, instances=size))
    runs = 3      # medians at every size: a growth figure compares two of them
    create = run_measured([aurora, "job", "create", key, str(path)], env)
    figures["create"][size] = create.seconds
    client = cluster.client()  # type: ignore[attr-defined]
    wait_until(lambda: running(client, name, size), what=f"{size:,} RUNNING")
    text = median_of([aurora, "job", "status", key], env, runs)
    figures["status text"][size] = text.seconds
    as_json = median_of([aurora, "job", "status", "--write-json", key], env, runs)
    figures["status JSON"][size] = as_json.seconds
    print(f"  {size:>7,} instances: create {create.seconds:.2f} s, status text "
          f"{text.seconds:.2f} s ({text.peak_mb:.0f} MB), JSON {as_json.seconds:.2f} s "
          f"({as_json.peak_mb:.0f} MB)", flush=True)
    if size == 10_000:
        verdict("job create, 10,000 instances", create.seconds, 0.5, "s")
        verdict("job status, 10,000 instances, text", text.seconds, 0.3, "s")
        verdict("job status, 10,000 instances, JSON", as_json.seconds, 0.6, "s")
    if size == 50_000:
        verdict("job status --write-json, 50,000 instances", as_json.seconds, 3.0, "s")
        verdict("job status --write-json, 50,000 instances, peak", as_json.peak_mb, 300, "MB")
    killall = run_measured([aurora, "job", "killall", "--no-batching", key], env)
    figures["killall"][size] = killall.seconds
    role = f"list{size}"
    populate(cluster.state_dir / "state.db", role, size)  # type: ignore[attr-defined]
    # three runs at every size: the first loads the new jobs' configs into the devcluster
    # (once, as a scheduler holds them in memory); a single run at 50k compared it, cold,
    # with a warm median at 10k
    listed = median_of([aurora, "job", "list", f"devcluster/{role}"], env, 3, keep_output=True)
    assert listed.stdout.count(b"\n") == size, f"expected {size} jobs"
    figures["list"][size] = listed.seconds
    print(f"  {size:>7,} instances: killall {killall.seconds:.2f} s; list of {size:,} jobs "
          f"{listed.seconds:.2f} s ({listed.peak_mb:.0f} MB)", flush=True)


def restart(aurora: str, env: dict, home: str, cluster: object) -> None:
    path = Path(home) / "restart.aurora"
    path.write_text(JOB_FILE.format(name="restart", instances=100))
    key = "devcluster/www-data/prod/restart"
    run_measured([aurora, "job", "create", key, str(path)], env)
    client = cluster.client()  # type: ignore[attr-defined]
    wait_until(lambda: running(client, "restart", 100), what="100 RUNNING")
    done = median_of([aurora, "job", "restart", "--batch-size", "10", "--watch-secs", "0",
                      key], env, runs=3)
    verdict("job restart, 100 instances, batches of 10", done.seconds, 1.0, "s")


def main() -> int:
    in_bench_venv()
    sizes = [1_000, 10_000] + ([] if "--quick" in sys.argv else [50_000, 100_000])
    aurora = str(Path(sys.executable).parent / "aurora")
    figures: dict[str, dict[int, float]] = {
        k: {} for k in ("status text", "status JSON", "create", "killall", "list")}
    with tempfile.TemporaryDirectory() as home:
        env = clean_env(home)
        with devcluster(home) as cluster:
            restart(aurora, env, home, cluster)
            for size in sizes:
                one_size(aurora, env, home, cluster, size, figures)
    for label, seconds in figures.items():
        growth(f"job {label}", seconds)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
