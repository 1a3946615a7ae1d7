"""Whether a pending task fits the devcluster's one host, and if not, why.

The devcluster is one Mesos agent: a host with attributes (`host`, `rack`,
and any given with `--attribute`) whose offer is what it has (cpus, RAM,
disk, GPUs) less what its assigned tasks hold. A task is checked as the real
scheduler's scheduling filter checks an offer, strongest veto first, stopping
at the first group that vetoes: a dedicated host refuses tasks without a
`dedicated` constraint; then value constraints (before limit constraints),
the first unmet one deciding; then every resource the offer lacks. The veto
texts are the scheduler's, so `getPendingReason` tells what a real cluster
would tell. Ports are not counted: each task gets free ports of its own.
"""

from __future__ import annotations

import math
import os
import shutil
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aurora.api.idl import api

DEDICATED = "dedicated"
UNLIMITED = math.inf
# The scheduler's names for the resources an offer may lack ("Insufficient: CPU"), in
# the order it checks them.
RESOURCE_NAMES = (("numCpus", "CPU"), ("ramMb", "RAM"), ("diskMb", "disk"), ("numGpus", "GPU"))


@dataclass(frozen=True)
class Host:
    """The devcluster's agent: its attributes (name -> values) and what it offers."""

    name: str
    attributes: dict[str, frozenset[str]] = field(default_factory=dict)
    cpus: float = UNLIMITED
    ram_mb: float = UNLIMITED
    disk_mb: float = UNLIMITED
    gpus: float = UNLIMITED

    def capacity(self) -> list[float]:
        """What the host offers when no task holds anything, in RESOURCE_NAMES order."""
        return [self.cpus, self.ram_mb, self.disk_mb, self.gpus]


def machine_host(name: str, state_dir: str, attributes: list[tuple[str, str]],
                 cpus: float | None = None, ram_mb: float | None = None,
                 disk_mb: float | None = None, gpus: float = 0) -> Host:
    """The host the devcluster runs on: `host` is its name and `rack` is `devcluster`
    unless `attributes` give them (a name given twice has both values); what it offers
    defaults to this machine's CPUs, memory and the free disk of `state_dir`."""
    given: dict[str, set[str]] = {}
    for attribute, value in attributes:
        given.setdefault(attribute, set()).add(value)
    values = {"host": {name}, "rack": {"devcluster"}, **given}
    if cpus is None:
        cpus = float(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                     else os.cpu_count() or 1)
    if ram_mb is None:
        ram_mb = float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20)
    if disk_mb is None:
        disk_mb = float(shutil.disk_usage(state_dir).free // 2**20)
    return Host(name, {k: frozenset(v) for k, v in values.items()}, cpus, ram_mb, disk_mb,
                gpus)


def required(config: Any) -> list[float]:
    """What one task of `config` asks for, in RESOURCE_NAMES order."""
    totals = [0.0] * len(RESOURCE_NAMES)
    for resource in config.resources or ():
        for i, (name, _) in enumerate(RESOURCE_NAMES):
            totals[i] += getattr(resource, name) or 0
    return totals


def constraint_veto(host: Host, constraint: Any, placed: int) -> str | None:
    """The veto of one constraint; `placed`: the job's tasks on the host now."""
    name = constraint.name
    values = host.attributes.get(name, frozenset())
    task_constraint = constraint.constraint
    if task_constraint is None:
        return None
    if task_constraint.value is not None:
        wanted = task_constraint.value
        matches = any(v in values for v in wanted.values or ())
        return None if bool(wanted.negated) != matches else f"Constraint not satisfied: {name}"
    if task_constraint.limit is not None:
        if not values:
            return f"Constraint not satisfied: {name}"
        # Every value of the host's attribute is shared by all the job's tasks on it.
        if task_constraint.limit.limit <= placed:
            return f"Limit not satisfied: {name}"
    return None


class _Shape:
    """What placing a task of one config needs, worked out once per step: its
    resources and its constraints in the order they are checked."""

    __slots__ = ("config", "amounts", "constraints", "blocked")

    def __init__(self, host: Host, config: Any):
        self.config = config
        self.amounts = required(config)
        constraints = list(config.constraints or ())
        dedicated = any(c.name == DEDICATED for c in constraints)
        self.blocked = DEDICATED in host.attributes and not dedicated
        # Value constraints first, as the scheduler sorts them; the first veto decides.
        constraints.sort(key=lambda c: c.constraint is None or c.constraint.value is None)
        self.constraints = constraints


class Offer:
    """The host's offer during one scheduling step: shrinks as tasks are placed."""

    def __init__(self, host: Host, store: Any):
        self.host = host
        self.free = host.capacity()
        self.per_job: Counter[tuple[str, str, str]] = Counter()
        self._shapes: dict[int, _Shape] = {}
        held = sorted(api().SLAVE_ASSIGNED_STATES)
        rows = store.db.execute(
            "SELECT role, env, name, config_hash, COUNT(*) FROM tasks WHERE status IN "
            f"({','.join('?' * len(held))}) GROUP BY role, env, name, config_hash", held)
        for role, env, name, digest, count in rows.fetchall():
            self.per_job[(role, env, name)] += count
            self._hold(required(store.config(digest)), count)

    def _hold(self, amounts: list[float], times: int = 1) -> None:
        free = self.free
        for i, amount in enumerate(amounts):
            free[i] -= amount * times

    def _shape(self, config: Any) -> _Shape:
        shape = self._shapes.get(id(config))
        if shape is None or shape.config is not config:
            shape = self._shapes[id(config)] = _Shape(self.host, config)
        return shape

    def vetoes(self, job: tuple[str, str, str], config: Any) -> list[str]:
        """Why a task of `job` with `config` cannot be placed now; [] when it can."""
        shape = self._shape(config)
        if shape.blocked:
            return ["Host is dedicated"]
        for constraint in shape.constraints:
            veto = constraint_veto(self.host, constraint, self.per_job[job])
            if veto:
                return [veto]
        return [f"Insufficient: {label}"
                for (_, label), free, amount in zip(RESOURCE_NAMES, self.free,
                                                    shape.amounts, strict=True)
                if amount > free + 1e-9]     # ten tasks of 0.1 CPU fit in 1 CPU

    def take(self, job: tuple[str, str, str], config: Any) -> None:
        """A task of `job` was placed: it holds its resources and counts for limits."""
        self.per_job[job] += 1
        self._hold(self._shape(config).amounts)
