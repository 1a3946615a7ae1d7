"""What every benchmark script shares: the install, the measuring, the verdicts.

* The client is measured as a user runs it: a non-editable install (`pip install .`,
  never -e) into a virtualenv outside /tmp (stevedore turns its cache off under
  /tmp), by default `~/.cache/aurora-client-bench/venv` (or `$AURORA_BENCH_VENV`).
  `in_bench_venv()` creates it with `python3 -m venv`, reinstalls the package when
  any source file changed since the last install, and re-executes the calling
  script with the virtualenv's python, so `aurora` and `aurora-devcluster` are the
  installed ones.
* Every command runs under a tiny measuring parent (`MEASURE`) that spawns only
  the command and reads its own `wait4` usage: the wall time and the peak memory
  are the command's alone, never the harness's.
* Start-up figures are ratios to `python3 -c pass`, measured interleaved in the
  same run (baseline, subject, baseline, subject, ...), so load on the machine
  hits both alike.
* Every figure is printed beside its target with PASS or FAIL; the script's
  exit status is 1 when any figure failed.
* `devcluster()` starts a simulated devcluster with its reply cache off (the real
  scheduler has none): repeated identical requests are answered afresh; and with
  room for the 100,000-instance jobs of the growth figures.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
VENV = Path(os.environ.get("AURORA_BENCH_VENV")
            or Path.home() / ".cache" / "aurora-client-bench" / "venv")
SOURCES = ("aurora", "plugins", "pyproject.toml")

# The measuring parent: spawn argv, wait for it, report its own wall time and peak RSS.
MEASURE = """
import json, os, sys, time
out, argv = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.posix_spawnp(argv[0], argv, os.environ)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
with open(out, "w") as f:
    json.dump({"seconds": seconds, "maxrss_kb": usage.ru_maxrss,
               "code": os.waitstatus_to_exitcode(status)}, f)
"""

_failures: list[str] = []


# -- the install ----------------------------------------------------------------------
def _source_stamp() -> str:
    digest = hashlib.sha1()
    for name in SOURCES:
        path = ROOT / name
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for f in files:
            if f.is_file() and "__pycache__" not in f.parts:
                digest.update(f"{f.relative_to(ROOT)}\0".encode())
                digest.update(f.read_bytes())
    return digest.hexdigest()


def ensure_bench_venv() -> Path:
    """The benchmark virtualenv with the current source installed (not editable)."""
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {VENV} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    stamp_file = VENV / "aurora-source.sha1"
    stamp = _source_stamp()
    if not stamp_file.exists() or stamp_file.read_text() != stamp:
        print(f"installing {ROOT} into {VENV} (pip install .) ...", file=sys.stderr)
        for extra in (["--force-reinstall", "--no-deps"], []):
            done = subprocess.run([str(python), "-m", "pip", "install", "-q", *extra,
                                   str(ROOT)], capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"pip install . failed:\n{done.stderr}")
        stamp_file.write_text(stamp)
    return VENV


def in_bench_venv() -> None:
    """Re-execute the calling script under the benchmark virtualenv's python."""
    venv = ensure_bench_venv()
    if Path(sys.prefix).resolve() != venv.resolve():
        python = str(venv / "bin" / "python")
        os.execv(python, [python, *sys.argv])


# -- environments ---------------------------------------------------------------------
def clean_env(home: str, **extra: str) -> dict[str, str]:
    """An isolated user; bytecode caching on, as on a user's machine."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AURORA_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(HOME=home, XDG_CACHE_HOME=os.path.join(home, "cache"),
               AURORA_CONFIG_ROOT=os.path.join(home, "etc"), **extra)
    return env


# Room for every task a benchmark starts (100,000 of 0.1 CPU and 16 MB): the figures are
# the client's with every task placed, never a host's worth of pending reasons.
BIG_HOST = ("--cpus", "1000000", "--ram-mb", "1000000000", "--disk-mb", "1000000000")


@contextmanager
def devcluster(home: str, executor: str = "simulate") -> Iterator[object]:
    """A devcluster (reply cache off, a host with room for every task) and clusters.json
    pointing at it, stopped after."""
    from tests.support.devcluster import Devcluster

    cluster = Devcluster(Path(home) / "devcluster", executor=executor,
                         args=("--reply-cache-mb", "0", "--max-tasks-per-job", "1000000"),
                         offer=BIG_HOST)
    cluster.start()
    etc = Path(home) / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "clusters.json").write_text(json.dumps([cluster.cluster_entry()]))
    try:
        yield cluster
    finally:
        cluster.stop()


# -- measuring ------------------------------------------------------------------------
@dataclass
class Sample:
    seconds: float
    peak_mb: float
    stdout: bytes


def run_measured(argv: list[str], env: dict[str, str], check: bool = True,
                 keep_output: bool = False) -> Sample:
    """One run of `argv`: its wall time, its own peak RSS and (`keep_output`) its stdout.

    stdout goes to a file, as `> out.json` would send it: read through a pipe by
    this process, 190 MB of JSON would time the harness's reading too."""
    with tempfile.NamedTemporaryFile(suffix=".json") as report, \
            tempfile.TemporaryFile() as stdout:
        done = subprocess.run([sys.executable, "-S", "-c", MEASURE, report.name, *argv],
                              env=env, stdout=stdout, stderr=subprocess.PIPE)
        figures = json.loads(Path(report.name).read_text())
        stdout.seek(0)
        output = stdout.read() if keep_output else b""
    if check and figures["code"] != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({figures['code']}): "
                         f"{done.stderr.decode()[-500:]}")
    return Sample(figures["seconds"], figures["maxrss_kb"] / 1024, output)


def median_of(argv: list[str], env: dict[str, str], runs: int = 3,
              keep_output: bool = False) -> Sample:
    """Median time and the largest peak memory of `runs` runs."""
    samples = [run_measured(argv, env, keep_output=keep_output and not i)
               for i in range(runs)]
    return Sample(statistics.median(s.seconds for s in samples),
                  max(s.peak_mb for s in samples), samples[0].stdout)


def interleaved(subjects: dict[str, list[str]], env: dict[str, str], runs: int = 15,
                check: bool = True,
                envs: dict[str, dict[str, str]] | None = None) -> dict[str, float]:
    """Median seconds of each subject and of `python3 -c pass` (key "baseline"),
    measured round-robin: baseline, subject 1, subject 2, baseline, ...
    `envs` adds variables for some subjects."""
    order = {"baseline": [sys.executable, "-c", "pass"], **subjects}
    env_of = {name: {**env, **(envs or {}).get(name, {})} for name in order}
    for name, argv in order.items():          # warm the page cache and bytecode
        run_measured(argv, env_of[name], check=check)
    times: dict[str, list[float]] = {name: [] for name in order}
    for _ in range(runs):
        for name, argv in order.items():
            times[name].append(run_measured(argv, env_of[name], check=check).seconds)
    return {name: statistics.median(values) for name, values in times.items()}


# -- verdicts -------------------------------------------------------------------------
def verdict(label: str, value: float, target: float, unit: str, detail: str = "") -> bool:
    """Print `label: value unit (target <= target unit) PASS|FAIL [detail]`."""
    ok = value <= target
    if not ok:
        _failures.append(label)
    extra = f"  [{detail}]" if detail else ""
    print(f"{label:<52} {value:9.2f} {unit:<3} (target <= {target:g} {unit}) "
          f"{'PASS' if ok else 'FAIL'}{extra}", flush=True)
    return ok


def ratios(subjects: dict[str, list[str]], targets: dict[str, float | None],
           env: dict[str, str], runs: int = 15, check: bool = True,
           envs: dict[str, dict[str, str]] | None = None) -> None:
    """Interleaved medians of `subjects` as ratios to `python3 -c pass`, with verdicts
    (a subject whose target is None is a reference figure, printed without one)."""
    medians = interleaved(subjects, env, runs, check, envs)
    base = medians["baseline"]
    print(f"{'python3 -c pass (baseline)':<52} {base * 1000:9.1f} ms", flush=True)
    for name in subjects:
        target = targets[name]
        if target is None:
            print(f"{name:<52} {medians[name] / base:9.2f} x   (reference, no target)  "
                  f"[{medians[name] * 1000:.1f} ms]", flush=True)
            continue
        verdict(name, medians[name] / base, target, "x", f"{medians[name] * 1000:.1f} ms")


def growth(label: str, seconds: dict[int, float], target: float = 11.0) -> None:
    """Time ratio per 10x of work between successive sizes, between sizes exactly 10x
    apart (a step of 2x raises its noise to the power 3.3), and first to last."""
    sizes = sorted(seconds)
    pairs = list(zip(sizes, sizes[1:], strict=False))
    pairs += [(a, b) for a in sizes for b in sizes if b == 10 * a and (a, b) not in pairs]
    if len(sizes) > 2:
        pairs.append((sizes[0], sizes[-1]))
    for small, large in pairs:
        per_ten = (seconds[large] / seconds[small]) ** (1 / math.log10(large / small))
        verdict(f"{label} growth {small:,} -> {large:,} (per 10x)", per_ten, target, "x",
                f"{seconds[small]:.2f} s -> {seconds[large]:.2f} s")


def finish() -> int:
    """Exit status: 1 when any figure missed its target."""
    if _failures:
        print(f"{len(_failures)} figure(s) over target: {', '.join(_failures)}")
        return 1
    print("all figures within target")
    return 0


def wait_until(predicate: object, timeout: float = 300.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.2)
