"""Job file load + convert time, in process.

Prints the median time to load, pick, validate and convert the
docs/examples/hello_world.aurora example (target <= 30 ms), and the same for one job picked out of a
generated file with 1,000 jobs (target <= 1 s), plus the first (cold) run of
each, which includes importing pystachio and loading the thrift IDL.

    .venv/bin/python benchmarks/config.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HELLO = ROOT / "docs" / "examples" / "hello_world.aurora"
RUNS = 20

GENERATED = """
base = Process(name = 'main', cmdline = 'serve --port {{thermos.ports[http]}} --shard %d')
jobs = [
%s
]
"""
ONE = ("  Service(cluster = 'devcluster', role = 'www-data', environment = 'prod', "
       "name = 'svc%04d', instances = %d,\n"
       "          task = SequentialTask(processes = [base(cmdline = 'serve %d')],\n"
       "                                resources = Resources(cpu = 0.5, ram = 64*MB, "
       "disk = 64*MB))),")


def timed(path: str, key: str) -> float:
    from aurora.config.job import load_job
    from aurora.jobkey import parse_job_key

    start = time.perf_counter()
    load_job(path, parse_job_key(key))
    return (time.perf_counter() - start) * 1000


def report(label: str, path: str, key: str, target_ms: float) -> None:
    cold = timed(path, key)
    warm = statistics.median(timed(path, key) for _ in range(RUNS))
    print(f"{label}: first {cold:.1f} ms, median {warm:.1f} ms "
          f"(target <= {target_ms:.0f} ms: {'ok' if warm <= target_ms else 'MISSED'})")


def main() -> int:
    report("hello_world load+convert", str(HELLO), "devcluster/www-data/prod/hello", 30)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "thousand.aurora"
        path.write_text(GENERATED % (0, "\n".join(ONE % (i, 1 + i % 5, i)
                                                  for i in range(1000))))
        report("1,000-job file, pick one", str(path), "devcluster/www-data/prod/svc0999", 1000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
