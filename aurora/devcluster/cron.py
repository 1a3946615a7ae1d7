"""Cron jobs in the devcluster: when a schedule fires, and what a firing does.

A cron job is a stored template (`jobs` rows with a schedule). Each engine
step asks `CronRunner.step` to fire every schedule whose next time (after its
last firing) has come, applying the job's collision policy as the real
scheduler does:

* KILL_EXISTING: kill the running tasks, start the new run once they are gone;
* CANCEL_NEW: skip this run while tasks of the previous one are active;
* RUN_OVERLAP: start the new run beside the old one.

A schedule that passed while the devcluster was down fires once on restart.
The cron clock may run faster than real time (`--cron-clock-speed`) so that
tests need not wait for whole minutes.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from aurora.api.idl import api
from aurora.devcluster.rpc import Invalid, job_path, require_role

if TYPE_CHECKING:
    from aurora.devcluster.engine import Engine


class CronRpcs:
    """Mixed into SchedulerHandler: the cron RPCs (needs its store, engine and checks)."""

    store: Any
    engine: Any
    _rpc: Any
    _sanitized: Any
    _check_key: Any
    _check_quota: Any
    _cron_job: Any

    def _cron_template(self, description: Any) -> Any:
        from aurora.devcluster.cron import valid_schedule

        job = self._sanitized(description)
        if not job.cronSchedule:
            raise Invalid(f"Job {job_path(job.key)} has no cron schedule; create it with "
                          "createJob instead")
        if not valid_schedule(job.cronSchedule):
            raise Invalid(f"Invalid cron schedule: {job.cronSchedule!r} (expected five "
                          "fields: minute hour day-of-month month day-of-week)")
        if next_run_ms(job.cronSchedule, self.engine.cron.clock.now_ms()) is None:
            raise Invalid(f"Cron schedule {job.cronSchedule!r} can never fire: no date "
                          "matches it (check its day of month against its month)")
        if job.cronCollisionPolicy is None:
            job.cronCollisionPolicy = api().CronCollisionPolicy.KILL_EXISTING
        return job

    def scheduleCronJob(self, description: Any) -> Any:
        def body() -> tuple[Any, list[str]]:
            job = self._cron_template(description)
            require_role(job.key.role)
            if self._cron_job(job.key) is None and self.store.active_tasks(job.key):
                raise Invalid(f"Job already exists: {job_path(job.key)} runs as a non-cron "
                              "job; kill it first")
            self._check_quota(job)
            self.store.put_job(job)
            return None, []
        return self._rpc("scheduleCronJob", body)

    def replaceCronTemplate(self, config: Any) -> Any:
        def body() -> tuple[Any, list[str]]:
            job = self._cron_template(config)
            require_role(job.key.role)
            if self._cron_job(job.key) is None:
                raise Invalid(f"No cron template found for {job_path(job.key)}")
            self._check_quota(job)
            self.store.put_job(job)
            return None, []
        return self._rpc("replaceCronTemplate", body)

    def descheduleCronJob(self, job: Any) -> Any:
        def body() -> tuple[Any, list[str]]:
            self._check_key(job)
            require_role(job.role)
            if self._cron_job(job) is None:
                raise Invalid(f"Job {job_path(job)} is not scheduled with cron")
            self.store.delete_job(job.role, job.environment, job.name)
            return None, []
        return self._rpc("descheduleCronJob", body)

    def startCronJob(self, job: Any) -> Any:
        def body() -> tuple[Any, list[str]]:
            self._check_key(job)
            require_role(job.role)
            template = self._cron_job(job)
            if template is None:
                raise Invalid(f"Job {job_path(job)} is not scheduled with cron")
            self.engine.cron.start_now(template)
            return None, []
        return self._rpc("startCronJob", body)




class CronClock:
    """Milliseconds on the cron clock: real time, optionally sped up from start."""

    def __init__(self, speed: float = 1.0):
        self.speed = speed
        self.origin = time.time()

    def now_ms(self) -> int:
        real = time.time()
        return int((self.origin + (real - self.origin) * self.speed) * 1000)


def next_run_ms(schedule: str, after_ms: int) -> int | None:
    """When `schedule` next fires after `after_ms`; None when no date ever matches it
    (`0 0 30 2 *`): such a schedule never fires, and stops nothing else."""
    from croniter import CroniterBadDateError, croniter

    try:
        return int(croniter(schedule, after_ms / 1000).get_next(float) * 1000)
    except CroniterBadDateError:
        return None


def valid_schedule(schedule: str) -> bool:
    from croniter import croniter

    return len(schedule.split()) == 5 and croniter.is_valid(schedule)


class CronRunner:
    def __init__(self, engine: Engine, clock: CronClock):
        self.engine = engine
        self.clock = clock

    def launch(self, job: Any, reason: str) -> None:
        """Start one run of `job` now (its instances 0..n-1 as new tasks)."""
        task = job.taskConfig
        self.engine.create_tasks(task, list(range(job.instanceCount)), message=reason)

    def fire(self, job: Any, reason: str) -> int:
        """One firing under the collision policy; returns the pending-run flag to keep."""
        policy = job.cronCollisionPolicy or 0
        policies = api().CronCollisionPolicy
        active = self.engine.store.active_tasks(job.key)
        if not active or policy == policies.RUN_OVERLAP:
            self.launch(job, reason)
            return 0
        if policy == policies.CANCEL_NEW:
            return 0
        self.engine.kill(active, "Killed by cron: KILL_EXISTING collision policy")
        return 1

    def step(self) -> None:
        """Each cron job on its own: one that fails is logged and the others still fire."""
        now = self.clock.now_ms()
        for job, last, pending in self.engine.store.cron_jobs():
            self.engine.attempt(job_path(job.key), "cron",
                                lambda j=job, la=last, p=pending: self.step_job(j, la, p, now))

    def step_job(self, job: Any, last: int | None, pending: int, now: int) -> None:
        if pending:
            if not self.engine.store.active_tasks(job.key):
                self.launch(job, "Cron run (after the previous run was killed)")
                self.engine.store.set_cron_pending(job.key, 0)
            return
        if last is None:
            self.engine.store.set_cron_state(job.key, now, 0)
            return
        due = next_run_ms(job.cronSchedule, last)
        if due is not None and due <= now:
            pending = self.fire(job, "Cron run on schedule")
            self.engine.store.set_cron_state(job.key, now, pending)

    def start_now(self, job: Any) -> None:
        """startCronJob: one run now, under the same collision policy."""
        self.engine.store.set_cron_pending(job.key, self.fire(job, "Cron run started by request"))
