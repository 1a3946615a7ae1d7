"""Health checks as the Aurora executor runs them, for the devcluster's task runner.

A task whose executor config asks for a health check (an HTTP check is the
default as soon as the task has a port named `health`; a shell check runs a
command) is only reported RUNNING once `min_consecutive_successes` checks in a
row pass. Checks run every `interval_secs`, each bounded by `timeout_secs`.
Failures during the grace period (the first ceil(initial_interval_secs /
interval_secs) checks) do not count; a task that has not become healthy within
grace + max_consecutive_failures + min_consecutive_successes checks fails, and
so does a running task with more than `max_consecutive_failures` failures in a
row. While the file `.healthchecksnooze` exists in the sandbox, no check runs.
"""

from __future__ import annotations

import math
import os
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SNOOZE_FILE = ".healthchecksnooze"


@dataclass
class Policy:
    """The numbers of a `health_check_config`, with the executor's defaults."""
    interval: float = 10.0
    initial_interval: float = 15.0
    timeout: float = 1.0
    max_consecutive_failures: int = 0
    min_consecutive_successes: int = 1

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Policy:
        return cls(interval=float(config.get("interval_secs", 10.0)),
                   initial_interval=float(config.get("initial_interval_secs", 15.0)),
                   timeout=float(config.get("timeout_secs", 1.0)),
                   max_consecutive_failures=int(config.get("max_consecutive_failures", 0)),
                   min_consecutive_successes=max(1, int(config.get(
                       "min_consecutive_successes", 1))))

    @property
    def grace_checks(self) -> int:
        return math.ceil(self.initial_interval / self.interval) if self.interval > 0 else 0


class Verdict:
    """Counts check results; says when the task became healthy or must fail."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self.checks = 0
        self.successes = 0
        self.failures = 0
        self.healthy = False

    def record(self, passed: bool) -> str | None:
        """Note one check; return 'healthy' or 'failed' when that changes the task."""
        p = self.policy
        self.checks += 1
        if passed:
            self.successes, self.failures = self.successes + 1, 0
            if not self.healthy and self.successes >= p.min_consecutive_successes:
                self.healthy = True
                return "healthy"
            return None
        self.successes = 0
        if not self.healthy and self.checks <= p.grace_checks:
            return None
        self.failures += 1
        if self.healthy:
            return "failed" if self.failures > p.max_consecutive_failures else None
        budget = p.grace_checks + p.max_consecutive_failures + p.min_consecutive_successes
        return "failed" if self.checks >= budget else None


def http_check(port: int, checker: dict[str, Any], timeout: float) -> tuple[bool, str]:
    """GET the endpoint on localhost; compare the body and, when asked, the status code."""
    endpoint = checker.get("endpoint", "/health") or "/health"
    expected = str(checker.get("expected_response", "ok") or "")
    expected_code = int(checker.get("expected_response_code", 0) or 0)
    url = f"http://localhost:{port}{endpoint}"
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))   # never a proxy
    try:
        with direct.open(url, timeout=timeout) as reply:
            code, body = reply.status, reply.read(4096)
    except urllib.error.HTTPError as exc:
        code, body = exc.code, exc.read(4096)
    except (OSError, ValueError) as exc:
        return False, f"GET {url} failed: {exc}"
    text = body.decode("utf-8", "replace").strip()
    if expected and text.lower() != expected.strip().lower():
        return False, f"GET {url} answered {text[:80]!r}, expected {expected!r}"
    if expected_code and code != expected_code:
        return False, f"GET {url} answered status {code}, expected {expected_code}"
    return True, "ok"


def shell_check(command: str, timeout: float, cwd: str, env: dict[str, str]) -> tuple[bool, str]:
    try:
        done = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, timeout=timeout,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return False, f"health check command timed out after {timeout}s"
    if done.returncode != 0:
        return False, f"health check command exited {done.returncode}"
    return True, "ok"


def make_check(job: dict[str, Any], ports: dict[str, int], sandbox: str,
               env: dict[str, str]) -> Callable[[float], tuple[bool, str]] | None:
    """The task's check as a function of the timeout, or None when it has none."""
    checker = (job.get("health_check_config") or {}).get("health_checker") or {"http": {}}
    if checker.get("shell"):
        command = checker["shell"].get("shell_command", "")
        return lambda timeout: shell_check(command, timeout, sandbox, env)
    if "health" in ports and checker.get("http") is not None:
        port = ports["health"]
        return lambda timeout: http_check(port, checker["http"], timeout)
    return None


class HealthMonitor:
    """Runs the checks on a thread and tells the runner when the task is healthy or sick."""

    def __init__(self, check: Callable[[float], tuple[bool, str]], policy: Policy, sandbox: str,
                 on_healthy: Callable[[], None], on_failed: Callable[[str], None]):
        self.check = check
        self.verdict = Verdict(policy)
        self.sandbox = sandbox
        self.on_healthy, self.on_failed = on_healthy, on_failed
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, name="health", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()

    def run(self) -> None:
        policy = self.verdict.policy
        while not self.stopped.is_set():
            if not os.path.exists(os.path.join(self.sandbox, SNOOZE_FILE)):
                try:
                    passed, why = self.check(policy.timeout)
                except Exception as exc:  # noqa: BLE001 - a check that cannot run fails
                    passed, why = False, f"health check could not run: {exc!r}"
                if self.stopped.is_set():
                    return
                outcome = self.verdict.record(passed)
                if outcome == "healthy":
                    self.on_healthy()
                elif outcome == "failed":
                    self.on_failed(f"Task failed its health check: {why}")
                    return
            self.stopped.wait(policy.interval)
