"""When a write's answer is lost: say so, say how to check, and check when it is cheap.

A write that may have reached the scheduler is never sent again (it might act
twice). Instead the command stops with `OutcomeUnknown`, naming the command
that shows the truth. For a few calls a read settles it reliably:

* `setQuota`: the role's quota equals the one asked for -> the command succeeded;
* `descheduleCronJob`: no cron template is left for the job -> it succeeded;
* `createJob`, `addInstances`, `killTasks`: the job's active instances are
  counted and reported, which tells the user what they will find but does not
  prove who did it, so the command still exits non-zero.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aurora.errors import ExitCode, NetworkError

if TYPE_CHECKING:
    from aurora.api.client import SchedulerClient


class OutcomeUnknown(NetworkError):
    """A write was sent and its answer lost: it may or may not have taken effect."""


def job_key_of(args: tuple) -> Any:
    """The JobKey a write is about, wherever the argument keeps it."""
    for arg in args:
        for path in ((), ("key",), ("jobKey",), ("job",), ("taskConfig", "job")):
            value = arg
            for name in path:
                value = getattr(value, name, None)
            if all(hasattr(value, f) for f in ("role", "environment", "name")):
                return value
    return None


def check_command(cluster: str, method: str, args: tuple) -> str:
    if method == "setQuota" and args:
        return f"aurora quota get {cluster}/{args[0]}"
    key = job_key_of(args)
    if key is None:
        return "the scheduler's web pages"
    spec = f"{cluster}/{key.role}/{key.environment}/{key.name}"
    if method in ("scheduleCronJob", "replaceCronTemplate", "descheduleCronJob"):
        return f"aurora cron show {spec}"
    return f"aurora job status {spec}"


def confirmed(client: SchedulerClient, method: str, args: tuple, deadline: float) -> bool:
    """True when a read shows the state the write asked for (only where that is proof)."""
    from aurora.api.idl import canonical

    if method == "setQuota":
        quota = client.result(client.call("getQuota", args[0], _deadline=deadline),
                              "getQuota", "getQuotaResult")
        return canonical(set(quota.quota.resources)) == canonical(set(args[1].resources))
    if method == "descheduleCronJob":
        key = args[0]
        configs = client.result(client.call("getJobs", key.role, _deadline=deadline),
                                "getJobs", "getJobsResult")
        return not any(c.key == key and c.cronSchedule for c in configs.configs or [])
    return False


def observed(client: SchedulerClient, method: str, args: tuple, deadline: float) -> str:
    """What a read shows now, as one clause, for writes a read cannot prove."""
    from aurora.api.idl import api

    if method not in ("createJob", "addInstances", "killTasks", "restartShards"):
        return ""
    key = job_key_of(args)
    if key is None:
        return ""
    a = api()
    query = a.TaskQuery(jobKeys=[key], statuses=set(a.ACTIVE_STATES))
    tasks = client.result(client.call("getTasksWithoutConfigs", query, _deadline=deadline),
                          "getTasksWithoutConfigs", "scheduleStatusResult")
    count = len(tasks.tasks or [])
    return f"; a read now shows {count} active instance(s) of the job"


def unknown(client: SchedulerClient, method: str, args: tuple, failure: Any,
            deadline: float) -> OutcomeUnknown | None:
    """The error to raise, or None when a read confirmed the write took effect."""
    from aurora.errors import AuroraError

    seen = ""
    try:
        if confirmed(client, method, args, deadline):
            return None
        seen = observed(client, method, args, deadline)
    except (AuroraError, AttributeError, TypeError):
        seen = ""                       # the read failed too: report what we know
    check = check_command(client.cluster_name, method, args)
    error = OutcomeUnknown(
        f"{method} was sent to cluster {client.cluster_name} but its answer was lost "
        f"({failure.message}), so whether it took effect is unknown{seen}; it was not sent "
        f"again", hint=f"check with: {check} before running the command again")
    if failure.exit_code == ExitCode.TIMEOUT:
        error.exit_code = ExitCode.TIMEOUT
    return error
