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

Times are medians of five rounds (restart: of three runs) and peaks the largest
of the runs. In a round the sizes take turns, so the two sides of a growth
figure are measured against the same cluster, close in time: five rounds create
a job of each size and then kill each; then one job of each size runs (161,000
tasks at once, beside the killed tasks of the rounds before) and five rounds
read each, text and JSON, after a first pass that is not counted. Jobs for `job
list` are written straight into the devcluster's SQLite state, so the figures
measure listing, not creation.

    python3 benchmarks/job.py [--quick]     # --quick stops at 10,000
"""

from __future__ import annotations

import sqlite3
import statistics
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


ROUNDS = 5     # medians of five, every size measured once per round


class Figures:
    """Samples of each kind of command at each size, over the rounds."""

    def __init__(self) -> None:
        self.samples: dict[tuple[str, int], list] = {}

    def add(self, kind: str, size: int, sample: object) -> None:
        self.samples.setdefault((kind, size), []).append(sample)

    def seconds(self, kind: str, size: int) -> float:
        return statistics.median(s.seconds for s in self.samples[(kind, size)])

    def peak_mb(self, kind: str, size: int) -> float:
        return max(s.peak_mb for s in self.samples[(kind, size)])

    def growth(self, kind: str, sizes: list[int]) -> dict[int, float]:
        return {size: self.seconds(kind, size) for size in sizes}


def create_jobs(aurora: str, env: dict, home: str, cluster: object, sizes: list[int],
                tag: str, figures: Figures | None = None) -> dict[int, str]:
    """A RUNNING job of each size; their keys. With `figures`, each create is a sample."""
    client = cluster.client()  # type: ignore[attr-defined]
    keys = {}
    for size in sizes:
        name = f"c{size}{tag}"
        keys[size] = f"devcluster/www-data/prod/{name}"
        path = Path(home) / f"{name}.aurora"
        path.write_text(JOB_FILE.format(name=name, instances=size))
        created = run_measured([aurora, "job", "create", keys[size], str(path)], env)
        if figures is not None:
            figures.add("create", size, created)
        wait_until(lambda n=name, c=size: running(client, n, c), what=f"{size:,} RUNNING")
    return keys


def lifecycles(aurora: str, env: dict, home: str, cluster: object, sizes: list[int],
               figures: Figures) -> None:
    """`job create` and `job killall --no-batching` of every size, in ROUNDS rounds:
    each round creates a job of each size in turn, then kills each."""
    for round_ in range(ROUNDS):
        keys = create_jobs(aurora, env, home, cluster, sizes, f"r{round_}", figures)
        for size in sizes:
            figures.add("killall", size, run_measured(
                [aurora, "job", "killall", "--no-batching", keys[size]], env))


def reads(aurora: str, env: dict, home: str, cluster: object, sizes: list[int],
          figures: Figures) -> None:
    """`job status` (text, then JSON) of a job of each size, all running at once, sizes
    taking turns in ROUNDS rounds. A first pass is not counted: the reads just after
    100,000 tasks were written run up to 25% slow while the devcluster settles, which
    would charge whichever size happens to come first."""
    keys = create_jobs(aurora, env, home, cluster, sizes, "read")
    for round_ in range(ROUNDS + 1):
        for size in sizes:
            text = run_measured([aurora, "job", "status", keys[size]], env)
            as_json = run_measured([aurora, "job", "status", "--write-json", keys[size]], env)
            if round_:
                figures.add("status text", size, text)
                figures.add("status JSON", size, as_json)


def listing(aurora: str, env: dict, cluster: object, sizes: list[int],
            figures: Figures) -> None:
    """`job list` of a role with as many jobs as each size, sizes taking turns. A first
    pass is not counted: it loads the new jobs' configs into the devcluster (once, as
    a scheduler holds them in memory)."""
    for size in sizes:
        populate(cluster.state_dir / "state.db", f"list{size}", size)  # type: ignore[attr-defined]
    for round_ in range(ROUNDS + 1):
        for size in sizes:
            listed = run_measured([aurora, "job", "list", f"devcluster/list{size}"], env,
                                  keep_output=True)
            assert listed.stdout.count(b"\n") == size, f"expected {size} jobs"
            if round_:
                figures.add("list", size, listed)


def report(sizes: list[int], figures: Figures) -> None:
    for size in sizes:
        f = figures.seconds
        print(f"  {size:>7,} instances: create {f('create', size):.2f} s, status text "
              f"{f('status text', size):.2f} s ({figures.peak_mb('status text', size):.0f} MB),"
              f" JSON {f('status JSON', size):.2f} s "
              f"({figures.peak_mb('status JSON', size):.0f} MB), killall "
              f"{f('killall', size):.2f} s; list of {size:,} jobs {f('list', size):.2f} s",
              flush=True)
    if 10_000 in sizes:
        verdict("job create, 10,000 instances", figures.seconds("create", 10_000), 0.5, "s")
        verdict("job status, 10,000 instances, text",
                figures.seconds("status text", 10_000), 0.3, "s")
        verdict("job status, 10,000 instances, JSON",
                figures.seconds("status JSON", 10_000), 0.6, "s")
    if 50_000 in sizes:
        verdict("job status --write-json, 50,000 instances",
                figures.seconds("status JSON", 50_000), 3.0, "s")
        verdict("job status --write-json, 50,000 instances, peak",
                figures.peak_mb("status JSON", 50_000), 300, "MB")
    for kind in ("status text", "status JSON", "create", "killall", "list"):
        growth(f"job {kind}", figures.growth(kind, sizes))


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
    figures = Figures()
    with tempfile.TemporaryDirectory() as home:
        env = clean_env(home)
        with devcluster(home) as cluster:
            restart(aurora, env, home, cluster)
            lifecycles(aurora, env, home, cluster, sizes, figures)
            reads(aurora, env, home, cluster, sizes, figures)
            listing(aurora, env, cluster, sizes, figures)
    report(sizes, figures)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
