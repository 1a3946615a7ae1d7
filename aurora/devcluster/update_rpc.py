"""The job-update RPCs of the devcluster, answered as the real scheduler answers them.

Starting an update validates the settings with the scheduler's messages,
refuses cron jobs, non-service jobs and a second active update (whose summary
comes back in the result, so a client can recognise its own retried start by
the metadata it put there), answers "Noop update." when nothing would change,
and otherwise stores the update for the engine (`updates.py`) to roll.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aurora.api.idl import api
from aurora.devcluster.rpc import Invalid, job_path, ranges, require_role
from aurora.devcluster.updates import (
    Update,
    active_states,
    active_update,
    awaiting_pulse_of,
    begin_rollback,
    create_update,
    forward_states,
    load_update,
    paused_of,
    record_status,
    rolling_of,
)

NOOP = "Noop update."
NO_CRON = "Cron jobs may only be created/updated by calling scheduleCronJob."
NON_SERVICE = "Updates are not supported for non-service tasks."
IN_PROGRESS = ("An active update already exists for this job, please terminate it before "
               "starting another. Active update: {id} ({status}). Active updates are those in "
               "states ROLLING_FORWARD, ROLLING_BACK, ROLL_FORWARD_PAUSED, ROLL_BACK_PAUSED, "
               "ROLL_FORWARD_AWAITING_PULSE, ROLL_BACK_AWAITING_PULSE")


def request_user(request_owner: Any) -> str | None:
    """Who acts: the authenticated user, else the identity the client sent."""
    from aurora.devcluster import auth

    user = getattr(auth.current, "user", None)
    if user is not None:
        return user.name
    return getattr(request_owner, "user", None)


def check_settings(settings: Any) -> None:
    """The scheduler's own checks of JobUpdateSettings, with its messages."""
    if settings is None:
        raise Invalid("Update settings are required.")
    if (settings.updateGroupSize or 0) <= 0:
        raise Invalid("updateGroupSize must be positive.")
    for field in ("maxPerInstanceFailures", "maxFailedInstances", "minWaitInInstanceRunningMs"):
        if (getattr(settings, field) or 0) < 0:
            raise Invalid(f"{field} must be non-negative.")
    if settings.blockIfNoPulsesAfterMs is not None and settings.blockIfNoPulsesAfterMs <= 0:
        raise Invalid("blockIfNoPulsesAfterMs must be positive.")
    strategy = settings.updateStrategy
    if strategy is None:
        return
    chosen = strategy.queueStrategy or strategy.batchStrategy
    if chosen is not None and (chosen.groupSize or 0) <= 0:
        raise Invalid("Update group size must be positive.")
    if strategy.varBatchStrategy is not None:
        sizes = strategy.varBatchStrategy.groupSizes or []
        if not sizes or any(size <= 0 for size in sizes):
            raise Invalid("Update group sizes must be positive.")


class Scope:
    """updateOnlyTheseInstances as ranges: membership without listing every id (a range
    from the wire may end at 2**31 - 1)."""

    def __init__(self, ranges: Any):
        self.ranges = [(r.first, r.last) for r in ranges]

    def __contains__(self, instance: int) -> bool:
        return any(first <= instance <= last for first, last in self.ranges)


def scope_of(settings: Any) -> Scope | None:
    if not settings.updateOnlyTheseInstances:
        return None
    return Scope(settings.updateOnlyTheseInstances)


class UpdateRpcs:
    """Mixed into SchedulerHandler: needs store, engine, _rpc, _check_key, _sanitized."""

    store: Any
    engine: Any
    _rpc: Callable[..., Any]
    _check_key: Callable[[Any], None]
    _sanitized: Callable[[Any], Any]
    _cron_job: Callable[[Any], Any]

    # -- comparing and starting ---------------------------------------------------------
    def _requested(self, request: Any) -> tuple[Any, dict[str, dict[str | None, list[int]]]]:
        """The sanitized job of a JobUpdateRequest and how each instance would change."""
        a = api()
        if request is None or request.taskConfig is None:
            raise Invalid("A JobUpdateRequest with a task config is required")
        key = request.taskConfig.job
        self._check_key(key)
        job = self._sanitized(a.JobConfiguration(
            key=key, owner=request.taskConfig.owner, taskConfig=request.taskConfig,
            instanceCount=request.instanceCount))
        new_hash = self.store.digest(job.taskConfig)     # stored only when an update starts
        return job, self._changes(key, new_hash, job.instanceCount,
                                  scope_of(request.settings) if request.settings else None)

    def _changes(self, key: Any, new_hash: str, count: int, scope: Scope | None
                 ) -> dict[str, dict[str | None, list[int]]]:
        """Instances to add, remove, update and leave alone, grouped by their current config.

        An instance outside `scope` (updateOnlyTheseInstances) is left alone; the
        config of an added instance is None (it has none yet).
        """
        current: dict[int, str] = {}
        for row in self.store.active_tasks(key):
            current[row["instance"]] = row["config_hash"]   # the newest task wins
        changes: dict[str, dict[str | None, list[int]]] = {
            "add": {}, "remove": {}, "update": {}, "unchanged": {}}
        for instance in sorted(set(range(count)) | set(current)):
            old = current.get(instance)
            if scope is not None and instance not in scope:
                kind = "unchanged" if old is not None else None
            elif old is None:
                kind = "add"
            elif instance >= count:
                kind = "remove"
            else:
                kind = "unchanged" if old == new_hash else "update"
            if kind is not None:
                changes[kind].setdefault(old, []).append(instance)
        return changes

    def getJobUpdateDiff(self, request: Any) -> Any:
        def body() -> tuple[Any, list[str]]:
            a = api()
            job, changes = self._requested(request)

            def groups(kind: str) -> list[Any]:
                return [a.ConfigGroup(config=self.store.config(h) if h else job.taskConfig,
                                      instances=ranges(ids))
                        for h, ids in changes[kind].items()]
            return a.Result(getJobUpdateDiffResult=a.GetJobUpdateDiffResult(
                add=groups("add"), remove=groups("remove"), update=groups("update"),
                unchanged=groups("unchanged"))), []
        return self._rpc("getJobUpdateDiff", body)

    def startJobUpdate(self, request: Any, message: str | None) -> Any:
        def body() -> tuple[Any, list[str]]:
            a = api()
            key = request.taskConfig.job if request and request.taskConfig else None
            if key is not None:
                self._check_key(key)
                require_role(key.role)
                check_settings(request.settings)
                if self._cron_job(key) is not None:
                    raise Invalid(NO_CRON)
                if not request.taskConfig.isService:
                    raise Invalid(NON_SERVICE)
            job, changes = self._requested(request)
            new_hash = self.store.digest(job.taskConfig)
            work = sorted((i, old, new_hash if kind != "remove" else None)
                          for kind in ("add", "remove", "update")
                          for old, ids in changes[kind].items() for i in ids)
            if not work:        # checked first, as the scheduler does
                return None, [NOOP]
            running = active_update(self.store, job.key)
            if running is not None:
                raise InProgress(running)
            self.store.put_config(job.taskConfig)
            instructions = self._instructions(job, changes, request.settings)
            update_id = create_update(self.store, job.key, request_user(request.taskConfig.owner),
                                      instructions, new_hash, request.metadata, work, message)
            summary = self._summary(load_update(self.store, update_id))
            return a.Result(startJobUpdateResult=a.StartJobUpdateResult(
                key=summary.key, updateSummary=summary)), []
        return self._rpc_refusing_in_progress("startJobUpdate", body)

    def _rpc_refusing_in_progress(self, name: str, body: Callable[[], Any]) -> Any:
        """Like _rpc, but a second update is refused with the active update's summary."""
        found: list[Update] = []

        def guarded() -> tuple[Any, list[str]]:
            try:
                return body()
            except InProgress as exc:
                found.append(exc.update)
                raise Invalid(str(exc)) from exc
        response = self._rpc(name, guarded)
        if found:
            with self.store.transaction():
                summary = self._summary(found[0])
            response.result = api().Result(startJobUpdateResult=api().StartJobUpdateResult(
                key=summary.key, updateSummary=summary))
        return response

    def _instructions(self, job: Any, changes: dict[str, dict[str | None, list[int]]],
                      settings: Any) -> Any:
        """What the update was asked to do, as the scheduler records it: the initial state
        holds only the instances it replaces or removes (with their old configs), the
        desired state only those it replaces or adds (None when it only removes). An
        instance left alone is in neither."""
        a = api()
        initial: dict[str, list[int]] = {}
        for kind in ("remove", "update"):
            for old, ids in changes[kind].items():
                initial.setdefault(old, []).extend(ids)
        desired = [i for kind in ("add", "update") for ids in changes[kind].values()
                   for i in ids]
        return a.JobUpdateInstructions(
            initialState=[a.InstanceTaskConfig(task=self.store.config(h), instances=ranges(ids))
                          for h, ids in initial.items() if ids],
            desiredState=a.InstanceTaskConfig(task=job.taskConfig, instances=ranges(desired))
            if desired else None,
            settings=settings)

    # -- changing an update's state ---------------------------------------------------
    def pauseJobUpdate(self, key: Any, message: str | None) -> Any:
        def change(update: Update) -> int | None:
            s = api().JobUpdateStatus
            if update.status in (s.ROLL_FORWARD_PAUSED, s.ROLL_BACK_PAUSED):
                return None
            return paused_of(update.status)
        return self._change("pauseJobUpdate", key, message, change)

    def resumeJobUpdate(self, key: Any, message: str | None) -> Any:
        def change(update: Update) -> int | None:
            s = api().JobUpdateStatus
            if update.status not in (s.ROLL_FORWARD_PAUSED, s.ROLL_BACK_PAUSED):
                raise Invalid(f"Update {update.id} is not paused; it is "
                              f"{status_label(update.status)}.")
            block = update.settings.blockIfNoPulsesAfterMs
            from aurora.devcluster.store import now_ms

            if block and now_ms() - update.last_pulse_ms > block:
                return awaiting_pulse_of(update.status)
            return rolling_of(update.status)
        return self._change("resumeJobUpdate", key, message, change)

    def abortJobUpdate(self, key: Any, message: str | None) -> Any:
        return self._change("abortJobUpdate", key, message,
                            lambda update: api().JobUpdateStatus.ABORTED)

    def rollbackJobUpdate(self, key: Any, message: str | None) -> Any:
        def change(update: Update) -> int | None:
            if update.status not in forward_states():
                raise Invalid(f"Update {update.id} is {status_label(update.status)}; only an "
                              "update rolling forward can be rolled back.")
            begin_rollback(self.store, update, request_user(None) or update.user, message)
            return None
        return self._change("rollbackJobUpdate", key, message, change)

    def _change(self, name: str, key: Any, message: str | None,
                change: Callable[[Update], int | None]) -> Any:
        def body() -> tuple[Any, list[str]]:
            update = self._active_by_key(key)
            new_status = change(update)
            if new_status is not None:
                record_status(self.store, update.id, new_status, request_user(None) or update.user,
                              message)
            return None, []
        return self._rpc(name, body)

    def _active_by_key(self, key: Any) -> Update:
        if key is None or key.job is None:
            raise Invalid("A job update key is required")
        self._check_key(key.job)
        require_role(key.job.role)
        update = load_update(self.store, key.id) if key.id else None
        if update is None or (update.role, update.env, update.name) != \
                (key.job.role, key.job.environment, key.job.name):
            raise Invalid(f"Update does not exist: {job_path(key.job)}/{key.id}")
        if update.status not in active_states():
            raise Invalid(f"Update {update.id} is no longer active; it is "
                          f"{status_label(update.status)}.")
        return update

    def pulseJobUpdate(self, key: Any) -> Any:
        def body() -> tuple[Any, list[str]]:
            a = api()
            from aurora.devcluster.store import now_ms

            if key is None or key.job is None:
                raise Invalid("A job update key is required")
            self._check_key(key.job)
            require_role(key.job.role)
            update = load_update(self.store, key.id) if key.id else None
            if update is not None and update.job_key != key.job:
                update = None       # another job's update: the role checked is not its own
            if update is None or update.status not in active_states() or \
                    not update.settings.blockIfNoPulsesAfterMs:
                return a.Result(pulseJobUpdateResult=a.PulseJobUpdateResult(
                    status=a.JobUpdatePulseStatus.FINISHED)), []
            self.store.db.execute("UPDATE job_updates SET last_pulse_ms = ? WHERE id = ?",
                                  (now_ms(), update.id))
            if update.status in (a.JobUpdateStatus.ROLL_FORWARD_AWAITING_PULSE,
                                 a.JobUpdateStatus.ROLL_BACK_AWAITING_PULSE):
                record_status(self.store, update.id, rolling_of(update.status), None, None)
            return a.Result(pulseJobUpdateResult=a.PulseJobUpdateResult(
                status=a.JobUpdatePulseStatus.OK)), []
        return self._rpc("pulseJobUpdate", body)

    # -- reading ----------------------------------------------------------------------
    def _summary(self, update: Update) -> Any:
        a = api()
        metadata = None if update.metadata is None else {
            a.Metadata(key=k, value=v) for k, v in update.metadata}
        return a.JobUpdateSummary(
            key=a.JobUpdateKey(job=update.job_key, id=update.id), user=update.user,
            state=a.JobUpdateState(status=update.status, createdTimestampMs=update.created_ms,
                                   lastModifiedTimestampMs=update.modified_ms),
            metadata=metadata)

    def getJobUpdateSummaries(self, jobUpdateQuery: Any) -> Any:
        def body() -> tuple[Any, list[str]]:
            a = api()
            summaries = [self._light_summary(row) for row in
                         self._query_updates(jobUpdateQuery, light=True)]
            return a.Result(getJobUpdateSummariesResult=a.GetJobUpdateSummariesResult(
                updateSummaries=summaries)), []
        return self._rpc("getJobUpdateSummaries", body)

    def _light_summary(self, row: tuple) -> Any:
        """A summary straight from the columns, without decoding the instructions."""
        a = api()
        update_id, role, env, name, user, status, created, modified, metadata = row
        meta = json.loads(metadata)
        return a.JobUpdateSummary(
            key=a.JobUpdateKey(job=a.JobKey(role=role, environment=env, name=name),
                               id=update_id),
            user=user, state=a.JobUpdateState(status=status, createdTimestampMs=created,
                                              lastModifiedTimestampMs=modified),
            metadata=None if meta is None else {a.Metadata(key=k, value=v) for k, v in meta})

    def _query_updates(self, query: Any, light: bool) -> list[tuple]:
        q = query or api().JobUpdateQuery()
        where, args = ["1"], []
        if q.role:
            where.append("role = ?")
            args.append(q.role)
        job = q.jobKey or (q.key.job if q.key else None)
        if job is not None:
            where.append("role = ? AND env = ? AND name = ?")
            args += [job.role, job.environment, job.name]
        if q.key is not None and q.key.id:
            where.append("id = ?")
            args.append(q.key.id)
        if q.user:
            where.append("user = ?")
            args.append(q.user)
        if q.updateStatuses:
            values = sorted(q.updateStatuses)
            where.append(f"status IN ({','.join('?' * len(values))})")
            args += values
        columns = Update.COLUMNS.split(", ")[:9] if light else Update.COLUMNS.split(", ")
        sql = (f"SELECT {', '.join(columns)} FROM job_updates WHERE {' AND '.join(where)} "
               "ORDER BY created_ms DESC, rowid DESC")
        if q.limit and q.limit > 0:
            sql += f" LIMIT {int(q.limit)} OFFSET {int(q.offset or 0)}"
        elif q.offset:
            sql += f" LIMIT -1 OFFSET {int(q.offset)}"
        return self.store.db.execute(sql, args).fetchall()

    def getJobUpdateDetails(self, key: Any, query: Any) -> Any:
        def body() -> tuple[Any, list[str]]:
            a = api()
            if key is None and query is None:
                raise Invalid("Either key or query must be set.")
            if query is not None:
                details = [self._details(Update.from_row(row))
                           for row in self._query_updates(query, light=False)]
                return a.Result(getJobUpdateDetailsResult=a.GetJobUpdateDetailsResult(
                    detailsList=details)), []
            update = load_update(self.store, key.id) if key.id else None
            if update is None or key.job is None or update.job_key != key.job:
                raise Invalid(f"Invalid update: {key}")
            details = self._details(update)
            return a.Result(getJobUpdateDetailsResult=a.GetJobUpdateDetailsResult(
                details=details, detailsList=[details])), []
        return self._rpc("getJobUpdateDetails", body)

    def _details(self, update: Update) -> Any:
        a = api()
        events = [a.JobUpdateEvent(status=st, timestampMs=ts, user=user, message=msg)
                  for ts, st, user, msg in self.store.db.execute(
                      "SELECT ts, status, user, message FROM job_update_events WHERE id = ? "
                      "ORDER BY rowid", (update.id,))]
        instance_events = [
            a.JobInstanceUpdateEvent(instanceId=i, timestampMs=ts, action=action, message=msg)
            for i, ts, action, msg in self.store.db.execute(
                "SELECT instance, ts, action, message FROM job_instance_events WHERE id = ? "
                "ORDER BY rowid", (update.id,))]
        return a.JobUpdateDetails(
            update=a.JobUpdate(summary=self._summary(update), instructions=update.instructions),
            updateEvents=events, instanceEvents=instance_events)


class InProgress(Exception):
    """A second update was asked for while `update` is active."""

    def __init__(self, update: Update):
        super().__init__(IN_PROGRESS.format(id=update.id, status=status_label(update.status)))
        self.update = update


def status_label(status: int) -> str:
    return api().JobUpdateStatus._VALUES_TO_NAMES.get(status, str(status))
