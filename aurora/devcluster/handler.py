"""The devcluster's thrift API: one method per RPC, each in one transaction.

Semantics follow the real scheduler where the client can see them: which jobs
exist (those with active tasks, plus cron jobs), the validation messages,
the shape of every result. RPCs the devcluster does not implement answer
INVALID_REQUEST naming themselves, so a client sees a clean error.
"""

from __future__ import annotations

import copy
import json
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aurora.api.idl import api
from aurora.devcluster import taskwire
from aurora.devcluster.cron import CronRpcs
from aurora.devcluster.engine import Engine
from aurora.devcluster.layout import agent_id
from aurora.devcluster.quota import QuotaRpcs
from aurora.devcluster.rpc import (
    DEFAULT_TIER,
    IDENTIFIER,
    MAX_IDENTIFIER_LENGTH,
    SCALAR_RESOURCES,
    STOCK_TIERS,
    Invalid,
    Locked,
    Refused,
    job_path,
    ranges,
    require_not_updating,
    require_role,
    resource_totals,
)
from aurora.devcluster.store import Store
from aurora.devcluster.taskcheck import never_runs
from aurora.devcluster.update_rpc import UpdateRpcs

if TYPE_CHECKING:
    import sqlite3

log = logging.getLogger("aurora.devcluster")

# The real scheduler caps tasks per job (its -max_tasks_per_job, 4,000 by default); the
# devcluster's default leaves room for its own 10,000-instance scale tests.
MAX_TASKS_PER_JOB = 10_000


def port_map(seen: dict[str, dict[str, int]], text: str) -> dict[str, int]:
    """A task's ports from their JSON column, decoded once per distinct value."""
    if text not in seen:
        seen[text] = json.loads(text)
    return seen[text]     # shared: replies are only serialized, never changed


class SchedulerHandler(CronRpcs, QuotaRpcs, UpdateRpcs):
    def __init__(self, store: Store, engine: Engine, cluster_name: str = "devcluster",
                 max_tasks_per_job: int = MAX_TASKS_PER_JOB):
        self.store = store
        self.engine = engine
        self.cluster_name = cluster_name
        self.max_tasks_per_job = max_tasks_per_job
        # (role, env, name, config digest, instance count) -> JobConfiguration: getJobs
        # answers for large clusters without rebuilding 100,000 objects each time.
        self._job_configs: dict[tuple, Any] = {}

    # -- plumbing -------------------------------------------------------------------
    def _response(self, code: int, result: Any = None, messages: list[str] = ()) -> Any:
        a = api()
        return a.Response(responseCode=code, result=result,
                          serverInfo=a.ServerInfo(clusterName=self.cluster_name,
                                                  statsUrlPrefix=""),
                          details=[a.ResponseDetail(message=m) for m in messages])

    def _rpc(self, name: str, body: Callable[[], Any]) -> Any:
        code = api().ResponseCode
        try:
            with self.store.transaction():
                result, messages = body()
            self.engine.wake()
            return self._response(code.OK, result, messages)
        except Invalid as exc:
            return self._response(code.INVALID_REQUEST, messages=[str(exc)])
        except Refused as exc:
            return self._response(code.AUTH_FAILED, messages=[str(exc)])
        except Locked as exc:
            return self._response(code.JOB_UPDATING_ERROR, messages=[str(exc)])
        except Exception as exc:   # the client gets a clean ERROR, the log the traceback
            log.exception("%s failed", name)
            return self._response(code.ERROR, messages=[f"{name} failed in the devcluster: "
                                                        f"{type(exc).__name__}: {exc}"])

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_") or not hasattr(api().AuroraAdmin, f"{name}_args"):
            raise AttributeError(name)

        def unsupported(*args: Any) -> Any:
            return self._response(api().ResponseCode.INVALID_REQUEST,
                                  messages=[f"{name} is not supported by devcluster"])
        return unsupported

    # -- reading tasks ----------------------------------------------------------------
    def _query_rows(self, query: Any, columns: str | None = None,
                    stream: bool = False) -> list[Any] | sqlite3.Cursor:
        where, args = ["1"], []

        def among(column: str, values: Any) -> None:
            values = list(values)
            where.append(f"{column} IN ({','.join('?' * len(values))})")
            args.extend(values)

        q = query or api().TaskQuery()
        for column, value in (("role", q.role), ("env", q.environment), ("name", q.jobName)):
            if value:
                where.append(f"{column} = ?")
                args.append(value)
        if q.jobKeys:
            where.append("(" + " OR ".join("(role = ? AND env = ? AND name = ?)"
                                           for _ in q.jobKeys) + ")")
            for key in q.jobKeys:
                args.extend([key.role, key.environment, key.name])
        for column, values in (("task_id", q.taskIds), ("status", q.statuses),
                               ("instance", q.instanceIds), ("host", q.slaveHosts)):
            if values:
                among(column, values)
        return self.store.tasks(" AND ".join(where), tuple(args), q.limit, q.offset or 0,
                                columns, stream=stream)

    def _scheduled_tasks(self, rows: list[Any], with_configs: bool) -> list[Any]:
        a = api()
        events = self.store.events([r["task_id"] for r in rows])
        configs: dict[str, Any] = {}
        ports: dict[str, dict[str, int]] = {"{}": {}}
        seen_events: dict[tuple, Any] = {}    # events shared by many tasks are built once
        tasks = []
        for row in rows:
            digest = row["config_hash"]
            if digest not in configs:
                config = self.store.config(digest)
                if not with_configs:
                    config = copy.copy(config)
                    config.executorConfig = None
                configs[digest] = config
            assigned = a.AssignedTask(
                taskId=row["task_id"], slaveId=row["host"] and agent_id(row["host"]),
                slaveHost=row["host"], task=configs[digest],
                assignedPorts=port_map(ports, row["ports"]), instanceId=row["instance"])
            tasks.append(a.ScheduledTask(
                assignedTask=assigned, status=row["status"], failureCount=row["failure_count"],
                timesPartitioned=0, ancestorId=row["ancestor"],
                taskEvents=[seen_events.get(e) or seen_events.setdefault(e, a.TaskEvent(
                    timestamp=e[0], status=e[1], message=e[2], scheduler="devcluster"))
                    for e in events[row["task_id"]]]))
        return tasks

    # -- validation -------------------------------------------------------------------
    def _check_key(self, key: Any) -> None:
        if key is None:
            raise Invalid("A job key is required")
        for part, value in (("role", key.role), ("environment", key.environment),
                            ("name", key.name)):
            if not value or not IDENTIFIER.fullmatch(value):
                raise Invalid(f"Job key {part} {value[:80]!r} is invalid: use letters, "
                              "digits, '_', '-' and '.' only")
            if len(value) > MAX_IDENTIFIER_LENGTH:
                raise Invalid(f"Job key {part} {value[:40]!r}... is {len(value)} characters "
                              f"long; at most {MAX_IDENTIFIER_LENGTH} are allowed")

    def _sanitized(self, job: Any) -> Any:
        """Validate a submitted JobConfiguration and fill what the scheduler fills."""
        if job is None or job.taskConfig is None:
            raise Invalid("A job configuration with a task config is required")
        self._check_key(job.key)
        if job.instanceCount is None or job.instanceCount <= 0:
            raise Invalid("Instance count must be positive.")
        self._check_size(job.key, job.instanceCount)
        problem = never_runs(job.taskConfig)
        if problem:
            raise Invalid(f"Task of {job_path(job.key)} can never run: {problem}")
        task = copy.copy(job.taskConfig)
        task.job = job.key
        task.owner = task.owner or job.owner
        for field, total in zip(SCALAR_RESOURCES, resource_totals(task.resources), strict=True):
            if total <= 0:
                raise Invalid(f"Task resources must include a positive {field}")
        tiers = {name: preemptible for name, preemptible, _ in STOCK_TIERS}
        if task.tier is None:
            task.tier = "preferred" if task.production else DEFAULT_TIER
        elif task.tier not in tiers:
            raise Invalid(f"Tier '{task.tier}' does not exist; known tiers: "
                          f"{', '.join(sorted(tiers))}")
        if task.production and tiers[task.tier]:
            raise Invalid(f"Tier '{task.tier}' is preemptible and cannot run production tasks")
        job = copy.copy(job)
        job.taskConfig = task
        return job

    def _check_size(self, key: Any, tasks: int) -> None:
        """Refuse a job that would grow past the per-job task cap, before any task exists."""
        if tasks > self.max_tasks_per_job:
            raise Invalid(f"Job {job_path(key)} would have {tasks} tasks, more than the "
                          f"{self.max_tasks_per_job} this scheduler allows per job")

    def _job_exists(self, key: Any) -> bool:
        return bool(self.store.active_tasks(key)) or self._cron_job(key) is not None

    def _cron_job(self, key: Any) -> Any | None:
        job = self.store.job(key.role, key.environment, key.name)
        return job if job is not None and job.cronSchedule else None

    # -- RPCs -------------------------------------------------------------------------
    def createJob(self, description: Any) -> Any:
        def body() -> tuple[Any, list[str]]:
            job = self._sanitized(description)
            require_role(job.key.role)
            if job.cronSchedule:
                raise Invalid("Cron jobs may only be created/updated by calling "
                              "scheduleCronJob.")
            if self._job_exists(job.key):
                raise Invalid(f"Job already exists: {job_path(job.key)}")
            self._check_quota(job)
            self.store.put_job(job)
            self.engine.create_tasks(job.taskConfig, list(range(job.instanceCount)))
            return None, []
        return self._rpc("createJob", body)

    def populateJobConfig(self, description: Any) -> Any:
        def body() -> tuple[Any, list[str]]:
            job = self._sanitized(description)
            return api().Result(populateJobResult=api().PopulateJobResult(
                taskConfig=job.taskConfig)), []
        return self._rpc("populateJobConfig", body)

    def getTasksStatus(self, query: Any) -> Any:
        return self._tasks("getTasksStatus", query, with_configs=True)

    def getTasksWithoutConfigs(self, query: Any) -> Any:
        return self._tasks("getTasksWithoutConfigs", query, with_configs=False)

    def _tasks(self, name: str, query: Any, with_configs: bool) -> Any:
        def body() -> tuple[Any, list[str]]:
            tasks = self._scheduled_tasks(self._query_rows(query), with_configs)
            return api().Result(scheduleStatusResult=api().ScheduleStatusResult(tasks=tasks)), []
        return self._rpc(name, body)

    def encoded_tasks(self, query: Any, with_configs: bool) -> list[bytes] | None:
        """The Response to a task query as pieces of thrift binary (`taskwire`), the same
        bytes as `_tasks` would give; None when it fails (the generic path then reports it)."""
        try:
            with self.store.transaction():
                rows = self._query_rows(query, taskwire.COLUMNS, stream=True)
                count, tasks = taskwire.scheduled_tasks(
                    rows, taskwire.config_bytes(self.store, with_configs))
        except Exception:  # noqa: BLE001 - answered again, and reported, by `_tasks`
            return None
        self.engine.wake()
        return taskwire.response(api().ResponseCode.OK, self.cluster_name, count, tasks)

    def _jobs(self, role: str | None) -> list[Any]:
        """JobConfigurations of jobs with active tasks (newest config), then cron jobs."""
        a = api()
        active = list(a.ACTIVE_STATES)
        where = f"status IN ({','.join('?' * len(active))})"
        args: tuple = tuple(active)
        if role:
            where, args = where + " AND role = ?", (*args, role)
        rows = self.store.db.execute(
            "WITH groups AS (SELECT role, env, name, COUNT(DISTINCT instance) AS n, "
            f"MAX(rowid) AS newest FROM tasks WHERE {where} GROUP BY role, env, name) "
            "SELECT g.role, g.env, g.name, g.n, t.config_hash FROM groups g "
            "JOIN tasks t ON t.rowid = g.newest ORDER BY g.role, g.env, g.name", args)
        jobs = {}
        made = self._job_configs
        for r, e, n, count, digest in rows.fetchall():
            job = made.get((r, e, n, digest, count))
            if job is None:
                task = self.store.config(digest)
                job = made[(r, e, n, digest, count)] = a.JobConfiguration(
                    key=a.JobKey(role=r, environment=e, name=n), owner=task.owner,
                    taskConfig=task, instanceCount=count)
            jobs[(r, e, n)] = job
        for job in self.store.cron_templates(role):   # a cron job is its template
            k = job.key
            jobs[(k.role, k.environment, k.name)] = job
        return [jobs[k] for k in sorted(jobs)]

    def jobs_of(self, role: str | None) -> list[Any]:
        """The jobs getJobs lists (for the web pages), read inside the caller's hold of
        the store's lock."""
        return self._jobs(role)

    def encoded_jobs(self, role: str | None) -> list[bytes] | None:
        """The Response to getJobs as pieces of thrift binary (`taskwire`), the same bytes
        as `getJobs` would give; None when it fails (the generic path then reports it)."""
        try:
            with self.store.transaction():
                jobs = self._jobs(role)
            pieces = taskwire.struct_pieces(jobs)
        except Exception:  # noqa: BLE001 - answered again, and reported, by `getJobs`
            return None
        self.engine.wake()
        return taskwire.response(api().ResponseCode.OK, self.cluster_name, len(jobs), pieces,
                                 result_field=4, container=taskwire.T_SET)

    def getJobs(self, ownerRole: str | None) -> Any:
        def body() -> tuple[Any, list[str]]:
            return api().Result(getJobsResult=api().GetJobsResult(
                configs=self._jobs(ownerRole))), []
        return self._rpc("getJobs", body)

    def getJobSummary(self, role: str | None) -> Any:
        def body() -> tuple[Any, list[str]]:
            a = api()
            s = a.ScheduleStatus
            summaries = []
            for job in self._jobs(role):
                counts: dict[str, int] = defaultdict(int)
                for row in self._query_rows(a.TaskQuery(jobKeys=[job.key])):
                    st = row["status"]
                    bucket = ("pending" if st in (s.PENDING, s.THROTTLED) else
                              "active" if st in a.ACTIVE_STATES else
                              "failed" if st in (s.FAILED, s.LOST) else "finished")
                    counts[bucket] += 1
                stats = a.JobStats(activeTaskCount=counts["active"],
                                   finishedTaskCount=counts["finished"],
                                   failedTaskCount=counts["failed"],
                                   pendingTaskCount=counts["pending"])
                summaries.append(a.JobSummary(job=job, stats=stats,
                                              nextCronRunMs=self._next_cron_ms(job)))
            return a.Result(jobSummaryResult=a.JobSummaryResult(summaries=summaries)), []
        return self._rpc("getJobSummary", body)

    def _next_cron_ms(self, job: Any) -> int | None:
        from aurora.devcluster.cron import next_run_ms

        if not job.cronSchedule:
            return None
        return next_run_ms(job.cronSchedule, self.engine.cron.clock.now_ms())

    def getRoleSummary(self) -> Any:
        def body() -> tuple[Any, list[str]]:
            a = api()
            per_role: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            for job in self._jobs(None):
                per_role[job.key.role][1 if job.cronSchedule else 0] += 1
            summaries = [a.RoleSummary(role=r, jobCount=j, cronJobCount=c)
                         for r, (j, c) in sorted(per_role.items())]
            return a.Result(roleSummaryResult=a.RoleSummaryResult(summaries=summaries)), []
        return self._rpc("getRoleSummary", body)

    def getConfigSummary(self, job: Any) -> Any:
        def body() -> tuple[Any, list[str]]:
            a = api()
            self._check_key(job)
            groups: dict[str, list[int]] = defaultdict(list)
            for row in self.store.active_tasks(job):
                groups[row["config_hash"]].append(row["instance"])
            summary = a.ConfigSummary(key=job, groups=[
                a.ConfigGroup(config=self.store.config(d), instances=ranges(i))
                for d, i in groups.items()])
            return a.Result(configSummaryResult=a.ConfigSummaryResult(summary=summary)), []
        return self._rpc("getConfigSummary", body)

    def getPendingReason(self, query: Any) -> Any:
        """As the scheduler answers: each PENDING task (THROTTLED ones are not) with the
        vetoes that kept its task config off the host at the last scheduling step,
        joined by commas; an empty reason when none were recorded (yet)."""
        def body() -> tuple[Any, list[str]]:
            a = api()
            if query is None:
                raise Invalid("A task query is required")
            if query.slaveHosts:
                raise Invalid(f"SlaveHosts are not supported in {query}")
            if query.statuses:
                raise Invalid(f"Statuses is not supported in {query}")
            q = copy.copy(query)
            q.statuses = {a.ScheduleStatus.PENDING}
            reasons = self.engine.pending_reasons
            return a.Result(getPendingReasonResult=a.GetPendingReasonResult(reasons={
                a.PendingReason(taskId=row["task_id"], reason=reasons.get(row["config_hash"], ""))
                for row in self._query_rows(q)})), []
        return self._rpc("getPendingReason", body)

    def killTasks(self, job: Any, instances: Any, message: str | None) -> Any:
        def body() -> tuple[Any, list[str]]:
            self._check_key(job)
            require_role(job.role)
            require_not_updating(self.store, job)
            rows = self.store.active_tasks(job, instances, columns="task_id, status")
            if not rows:
                return None, ["No tasks to kill."]
            self.engine.kill(rows, f"Killed by request{': ' + message if message else ''}")
            return None, []
        return self._rpc("killTasks", body)

    def restartShards(self, job: Any, shardIds: Any) -> Any:
        def body() -> tuple[Any, list[str]]:
            self._check_key(job)
            require_role(job.role)
            require_not_updating(self.store, job)
            if not shardIds:
                raise Invalid("At least one instance to restart is required")
            rows = self.store.active_tasks(job, shardIds)
            if {r["instance"] for r in rows} != set(shardIds):
                raise Invalid("Not all requested shards are active.")
            self.engine.restart(rows)
            return None, []
        return self._rpc("restartShards", body)

    def addInstances(self, key: Any, count: int) -> Any:
        def body() -> tuple[Any, list[str]]:
            if key is None:
                raise Invalid("An instance key is required")
            self._check_key(key.jobKey)
            require_role(key.jobKey.role)
            require_not_updating(self.store, key.jobKey)
            if count is None or count <= 0:
                raise Invalid("Instance count must be positive.")
            self._check_size(key.jobKey, count)       # before reading any task
            if self._cron_job(key.jobKey) is not None:
                raise Invalid("Instances may not be added to cron jobs.")
            rows = self.store.active_tasks(key.jobKey)
            template = [r for r in rows if r["instance"] == key.instanceId]
            if not template:
                raise Invalid(f"Instance {key.instanceId} of {job_path(key.jobKey)} is not "
                              "active; add instances from an active one")
            self._check_size(key.jobKey, len(rows) + count)
            first = max(r["instance"] for r in rows) + 1
            config = self.store.config(template[-1]["config_hash"])
            self._check_quota(api().JobConfiguration(key=key.jobKey, taskConfig=config,
                                                     instanceCount=count))
            self.engine.create_tasks(config, list(range(first, first + count)))
            return None, []
        return self._rpc("addInstances", body)

    def getTierConfigs(self) -> Any:
        def body() -> tuple[Any, list[str]]:
            a = api()
            tiers = [a.TierConfig(name=name, settings={"preemptible": str(p).lower(),
                                                       "revocable": str(r).lower()})
                     for name, p, r in STOCK_TIERS]
            return a.Result(getTierConfigResult=a.GetTierConfigResult(
                defaultTierName=DEFAULT_TIER, tiers=tiers)), []
        return self._rpc("getTierConfigs", body)
