"""Quota in the devcluster: consumption of active tasks, setQuota/getQuota, admission.

Consumption is the resources of active tasks, split production/non-production
and shared/dedicated (a `dedicated` constraint) as the real scheduler reports
it. Admission (`_check_quota`) refuses production work beyond a role's quota;
on the devcluster only roles that were given a quota are bound by one.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from aurora.api.idl import api
from aurora.devcluster.rpc import IDENTIFIER, Invalid, require_admin, resource_totals


class QuotaRpcs:
    """Mixed into SchedulerHandler: needs `store`, `_rpc` and `Invalid` from it."""

    store: Any
    _rpc: Any

    def _consumption(self, role: str) -> dict[tuple[bool, bool], list[float]]:
        """(production, dedicated) → [cpus, ram_mb, disk_mb] used by active tasks."""
        totals: dict[tuple[bool, bool], list[float]] = defaultdict(lambda: [0.0, 0, 0])
        active = list(api().ACTIVE_STATES)
        rows = self.store.db.execute(
            f"SELECT config_hash, COUNT(*) FROM tasks WHERE role = ? AND status IN "
            f"({','.join('?' * len(active))}) GROUP BY config_hash", (role, *active))
        for digest, count in rows.fetchall():
            config = self.store.config(digest)
            dedicated = any(c.name == "dedicated" for c in config.constraints or [])
            bucket = totals[(bool(config.production), dedicated)]
            for i, amount in enumerate(resource_totals(config.resources, count)):
                bucket[i] += amount
        return totals

    @staticmethod
    def _aggregate(cpus: float, ram: float, disk: float) -> Any:
        a = api()
        return a.ResourceAggregate(resources={
            a.Resource(numCpus=float(cpus)), a.Resource(ramMb=int(ram)),
            a.Resource(diskMb=int(disk))})

    def _check_quota(self, job: Any) -> None:
        task = job.taskConfig
        row = self.store.quota(job.key.role)
        if not task.production or row is None:
            return   # devcluster: quota binds only roles that were given one
        used = [sum(v[i] for (prod, _), v in self._consumption(job.key.role).items() if prod)
                for i in range(3)]
        asked = resource_totals(task.resources, job.instanceCount)
        for name, have, use, need in zip(("CPU", "RAM (MB)", "disk (MB)"), row, used, asked,
                                         strict=True):
            if use + need > have:
                raise Invalid(f"Insufficient resource quota: {name} quota {have:g} exceeded "
                              f"by {use + need - have:g} for role {job.key.role}")

    def getQuota(self, ownerRole: str) -> Any:
        def body() -> tuple[Any, list[str]]:
            a = api()
            used = self._consumption(ownerRole)
            result = a.GetQuotaResult(
                quota=self._aggregate(*(self.store.quota(ownerRole) or (0.0, 0, 0))),
                prodSharedConsumption=self._aggregate(*used[(True, False)]),
                nonProdSharedConsumption=self._aggregate(*used[(False, False)]),
                prodDedicatedConsumption=self._aggregate(*used[(True, True)]),
                nonProdDedicatedConsumption=self._aggregate(*used[(False, True)]))
            return a.Result(getQuotaResult=result), []
        return self._rpc("getQuota", body)

    def setQuota(self, ownerRole: str, quota: Any) -> Any:
        def body() -> tuple[Any, list[str]]:
            require_admin()
            if not ownerRole or not IDENTIFIER.fullmatch(ownerRole):
                raise Invalid(f"Role {ownerRole!r} is invalid")
            cpus, ram, disk = resource_totals(quota.resources if quota else None)
            if min(cpus, ram, disk) < 0:
                raise Invalid("Quota values must not be negative")
            self.store.set_quota(ownerRole, cpus, int(ram), int(disk))
            return None, []
        return self._rpc("setQuota", body)


