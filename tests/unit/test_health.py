"""The executor's health-check rules, as the devcluster's runner applies them."""

from __future__ import annotations

from aurora.devcluster.health import Policy, Verdict, make_check


def outcomes(policy: Policy, results: str) -> list[str | None]:
    verdict = Verdict(policy)
    return [verdict.record(r == "+") for r in results]


def test_grace_period_failures_are_ignored_then_the_budget_fails_the_task():
    policy = Policy(interval=1, initial_interval=2, max_consecutive_failures=1)
    assert policy.grace_checks == 2
    assert outcomes(policy, "---") == [None, None, None]
    assert outcomes(policy, "----") == [None, None, None, "failed"]   # 2 + 1 + 1 checks


def test_healthy_after_min_consecutive_successes_and_failed_after_too_many_failures():
    policy = Policy(interval=1, initial_interval=0, max_consecutive_failures=1,
                    min_consecutive_successes=2)
    assert outcomes(policy, "+-++") == [None, None, None, "healthy"]
    assert outcomes(policy, "++-+--") == [None, "healthy", None, None, None, "failed"]


def test_which_tasks_have_a_check():
    http = {"health_check_config": {"health_checker": {"http": {"endpoint": "/h"}}}}
    assert make_check(http, {"health": 1234}, "/tmp", {}) is not None
    assert make_check(http, {"http": 1234}, "/tmp", {}) is None        # no health port
    assert make_check({}, {"health": 1234}, "/tmp", {}) is not None    # HTTP by default
    shell = {"health_check_config": {"health_checker": {"shell": {"shell_command": "true"}}}}
    passed, _ = make_check(shell, {}, "/tmp", {})(1.0)
    assert passed


def test_snooze_file_suspends_checks(tmp_path):
    import threading

    from aurora.devcluster.health import SNOOZE_FILE, HealthMonitor

    calls, healthy = [], threading.Event()
    snooze = tmp_path / SNOOZE_FILE
    snooze.touch()

    def check(timeout: float) -> tuple[bool, str]:
        calls.append(snooze.exists())
        return True, "ok"
    monitor = HealthMonitor(check, Policy(interval=0.02, initial_interval=0), str(tmp_path),
                            healthy.set, lambda message: None)
    monitor.start()
    try:
        assert not healthy.wait(0.3)           # snoozed: not one check ran
        snooze.unlink()
        assert healthy.wait(30)
        assert calls and not any(calls)
    finally:
        monitor.stop()
