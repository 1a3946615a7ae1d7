"""Helpers the benchmark scripts share: clean environments, timing, child memory."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def clean_env(home: str, **extra: str) -> dict[str, str]:
    """An isolated user; bytecode caching on, as on a user's machine."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AURORA_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(HOME=home, XDG_CACHE_HOME=os.path.join(home, "cache"),
               AURORA_CONFIG_ROOT=os.path.join(home, "etc"), **extra)
    return env


def run_measured(argv: list[str], env: dict[str, str]) -> tuple[float, int, bytes]:
    """(seconds, peak RSS in MB of the child, stdout) for one run."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = child.stdout.read(), child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({child.returncode}): {err.decode()[-500:]}")
    return elapsed, usage.ru_maxrss // 1024, out


def median_ms(argv: list[str], env: dict[str, str], runs: int = 20) -> float:
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)   # warm caches
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)
