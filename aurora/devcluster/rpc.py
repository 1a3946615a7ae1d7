"""What the devcluster's RPC modules share: the refusal exception and small helpers."""

from __future__ import annotations

import re
from typing import Any

from aurora.api.idl import api

# The scheduler's GOOD_IDENTIFIER_PATTERN_JVM (Java's \w is ASCII; Java matches the whole
# value, so use fullmatch: `$` alone would let a trailing newline through) and its length limit.
IDENTIFIER = re.compile(r"^[\w\-.]+$", re.ASCII)
MAX_IDENTIFIER_LENGTH = 255
STOCK_TIERS = (("preferred", False, False), ("preemptible", True, False),
               ("revocable", True, True))
DEFAULT_TIER = "preemptible"


class Invalid(Exception):
    """Raised inside an RPC: becomes an INVALID_REQUEST answer with this message."""


class Locked(Exception):
    """Raised inside an RPC: the job is being updated; becomes JOB_UPDATING_ERROR."""


class Refused(Exception):
    """Raised inside an RPC: the user may not do this; becomes AUTH_FAILED."""


def require_role(role: str) -> None:
    from aurora.devcluster.auth import may_change

    problem = may_change(role)
    if problem:
        raise Refused(problem)


def require_admin() -> None:
    from aurora.devcluster.auth import may_administer

    problem = may_administer()
    if problem:
        raise Refused(problem)


SCALAR_RESOURCES = ("numCpus", "ramMb", "diskMb")


def resource_totals(resources: Any, times: int = 1) -> list[float]:
    """[cpus, ram_mb, disk_mb] summed over a set of Resource unions, times `times`."""
    totals = [0.0, 0.0, 0.0]
    for resource in resources or []:
        for i, field in enumerate(SCALAR_RESOURCES):
            totals[i] += (getattr(resource, field) or 0) * times
    return totals


def job_path(key: Any) -> str:
    return f"{key.role}/{key.environment}/{key.name}"


def ranges(values: list[int]) -> list[Any]:
    out: list[Any] = []
    for value in sorted(set(values)):
        if out and out[-1].last == value - 1:
            out[-1].last = value
        else:
            out.append(api().Range(first=value, last=value))
    return out




def require_not_updating(store: Any, key: Any) -> None:
    """Refuse to change a job's tasks by hand while an update rolls it, as the scheduler does."""
    from aurora.devcluster.updates import active_update

    update = active_update(store, key)
    if update is not None:
        raise Locked(f"Job {job_path(key)} is locked by the active update {update.id}; "
                     "wait for it to finish or abort it")
