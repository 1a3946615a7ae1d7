"""`job status`: the active and recent tasks of one or more jobs."""

from __future__ import annotations

import time
from operator import attrgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from aurora import options as opt
from aurora.command import Context, Verb
from aurora.errors import InvalidParameter
from aurora.jobkey import JobKey, PartialKey
from aurora.jobs import thrift_key
from aurora.output import Result
from aurora.plugins.job.common import resolve_jobs
from aurora.tasks import created_ms, pending_reasons, state_sets
from aurora.thrift_json import thrift_json, tidy_number

if TYPE_CHECKING:
    from aurora.api.client import SchedulerClient


def resources_text(task_config: Any) -> str:
    cpus = ram = disk = gpus = None
    ports: list[str] = []
    for r in task_config.resources or []:
        if r.numCpus is not None:
            cpus = r.numCpus
        elif r.ramMb is not None:
            ram = r.ramMb
        elif r.diskMb is not None:
            disk = r.diskMb
        elif r.namedPort is not None:
            ports.append(r.namedPort)
        elif r.numGpus is not None:
            gpus = r.numGpus
    parts = [f"CPU: {tidy_number(cpus)} core(s)", f"RAM: {ram} MB", f"Disk: {disk} MB"]
    parts += [f"Port: {p}" for p in sorted(ports)]
    if gpus:
        parts.append(f"GPU: {gpus} GPU(s)")
    return ", ".join(parts)


_LOCAL_TIMES: dict[int, str] = {}


def local_time(ms: int) -> str:
    """An event's local time, formatted once per distinct second (10,000 tasks share few)."""
    seconds = ms // 1000
    text = _LOCAL_TIMES.get(seconds)
    if text is None:
        text = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds))
        _LOCAL_TIMES[seconds] = text
    return text


def fetch_tasks(client: SchedulerClient, key: JobKey, slim: bool) -> list[Any]:
    """The job's tasks; `slim`: decoded without the fields the text never shows."""
    from aurora.api.idl import api
    from aurora.api.views import STATUS_TEXT, tasks_without_configs

    query = api().TaskQuery(jobKeys=[thrift_key(key)])
    if not slim:
        return client.get_tasks_without_configs(query)
    return tasks_without_configs(client, query, STATUS_TEXT)


def split_tasks(tasks: list[Any], active_states: frozenset[int]) -> tuple[list, list]:
    """(active, inactive) tasks, each by instance and then by creation time."""
    order = sorted(tasks, key=lambda t: (t.assignedTask.instanceId, created_ms(t)))
    return ([t for t in order if t.status in active_states],
            [t for t in order if t.status not in active_states])


BY_TIME = attrgetter("timestamp")


def task_block(task: Any, pending_reason: str | None = None) -> str:
    """One task's lines; called 10,000 times for a large job, so names are looked up
    in the enum's table directly (as status_name does) and events sorted in C. A
    PENDING task's reason, when the scheduler gave one, follows its status line."""
    from aurora.api.idl import status_names

    names = status_names()
    at = task.assignedTask
    config = at.task
    job = config.job
    status = names.get(task.status)
    host = f" on {at.slaveHost}" if at.slaveHost else ""      # not placed yet: no host
    lines = [f"\tTask role: {job.role}, env: {job.environment}, name: {job.name}, "
             f"instance: {at.instanceId}, status: "
             f"{task.status if status is None else status}{host}"]
    if pending_reason:
        lines.append(f"\t  pending reason: {pending_reason}")
    lines.append(f"\t  {resources_text(config)}")
    if at.assignedPorts:
        ports = ", ".join(f"{k}: {v}" for k, v in sorted(at.assignedPorts.items()))
        lines.append(f"\t  assigned ports: {ports}")
    lines.append(f"\t  failure count: {task.failureCount} (max {config.maxTaskFailures})")
    lines.append("\t  events:")
    for event in sorted(task.taskEvents or (), key=BY_TIME):
        name = names.get(event.status)
        lines.append(f"\t   {local_time(event.timestamp)} "
                     f"{event.status if name is None else name}: {event.message}")
    if config.metadata:
        lines.append("\t  metadata:")
        for m in sorted(config.metadata, key=lambda m: (m.key, m.value)):
            lines.append(f"\t\t  (key: '{m.key}', value: '{m.value}')")
    lines.append("")
    return "\n".join(lines)


def shared_configs(tasks: list[Any]) -> dict[int, Any]:
    """id(task config) → its JSON, built once per distinct configuration of `tasks`."""
    distinct: list[tuple[Any, Any]] = []
    known: dict[int, Any] = {}
    for task in tasks:
        config = task.assignedTask.task
        for seen, data in distinct:
            if config == seen:
                known[id(config)] = data
                break
        else:
            known[id(config)] = thrift_json(config)
            distinct.insert(0, (config, known[id(config)]))
            del distinct[4:]      # many distinct configs: compare with the latest few only
    return known


def task_json(task: Any, known: dict[int, Any] | None = None) -> dict[str, Any]:
    from aurora.api.idl import status_name

    data = thrift_json(task, known=known)
    data["status"] = status_name(task.status)
    for event in data.get("taskEvents", []):
        event["status"] = status_name(event["status"])
    config = data["assignedTask"]["task"]
    for flag in ("isService", "production"):
        if flag in config:
            config[flag] = bool(config[flag])
    return data


def cron_schedule(context: Context, key: JobKey) -> str | None:
    """The schedule of `key` when it is a cron template (its tasks exist only while it runs)."""
    configs = context.service("cron templates", f"{key.cluster}/{key.role}", lambda: {
        (c.key.environment, c.key.name): c.cronSchedule
        for c in context.scheduler(key.cluster).get_jobs(key.role).configs or []
        if c.cronSchedule})
    return configs.get((key.env, key.name))


class JobTasks(NamedTuple):
    key: JobKey
    active: list[Any]
    inactive: list[Any]
    cron_schedule: str | None = None
    pending: dict[str, str] | None = None     # PENDING task id -> the scheduler's reason


class Statuses:
    """The tasks of the matched jobs, and the three renderings of them.

    Tasks are fetched once, slim when the text is what will be shown; JSON (of
    10,000 tasks, not free) is built only when asked for, converting the decoded
    tasks in place so that each is freed once converted. A rendering asked for
    after that (a hook reading both) fetches the tasks again.
    """

    def __init__(self, context: Context, keys: list[JobKey], slim: bool):
        self.context, self.keys, self.slim = context, keys, slim
        self.jobs = self.gather(slim)

    def gather(self, slim: bool) -> list[JobTasks]:
        active_states = state_sets()["ACTIVE"]
        jobs = []
        for key in self.keys:
            client = self.context.scheduler(key.cluster)
            active, inactive = split_tasks(fetch_tasks(client, key, slim), active_states)
            if active or inactive:
                jobs.append(JobTasks(key, active, inactive,
                                     pending=pending_reasons(client, key, active)))
                continue
            schedule = cron_schedule(self.context, key)
            if schedule:
                jobs.append(JobTasks(key, [], [], schedule))
        return jobs

    def decoded(self) -> list[JobTasks]:
        """The jobs with their tasks still decoded (fetched again once JSON took them)."""
        if self.jobs is None:
            self.jobs = self.gather(self.slim)
        return self.jobs

    def text(self) -> list[str]:
        """The text in pieces, a task block each: 100,000 tasks' text is never joined
        into one string (see `render_text`)."""
        return [piece for job in self.decoded() for piece in job_text(job)]

    def rows(self) -> list[dict[str, Any]]:
        from aurora.api.idl import status_name

        return [{"job": str(job.key), "instance": t.assignedTask.instanceId,
                 "status": status_name(t.status), "host": t.assignedTask.slaveHost,
                 "failures": t.failureCount, "task_id": t.assignedTask.taskId}
                for job in self.decoded() for t in job.active + job.inactive]

    def data(self) -> list[dict[str, Any]]:
        jobs = self.gather(slim=False) if self.slim or self.jobs is None else self.jobs
        self.jobs = None if jobs is self.jobs else self.jobs
        return [job_json(job) for job in jobs]


def job_text(job: JobTasks) -> list[str]:
    if job.cron_schedule:
        return [f"Job {job.key}:\nA cron template with no active tasks; "
                f"schedule: {job.cron_schedule} (aurora cron show {job.key})\n"]
    reasons = job.pending or {}
    return [f"Job {job.key}:\nActive tasks ({len(job.active)}):\n",
            *(task_block(t, reasons.get(t.assignedTask.taskId)) for t in job.active),
            f"Inactive tasks ({len(job.inactive)}):\n",
            *map(task_block, job.inactive)]


def job_json(job: JobTasks) -> dict[str, Any]:
    """One job's JSON; its task lists are converted in place (each decoded task is freed
    once converted)."""
    entry: dict[str, Any] = {"job": str(job.key), "active": job.active,
                             "inactive": job.inactive}
    if job.cron_schedule:
        entry["cron_schedule"] = job.cron_schedule
    known = shared_configs(job.active + job.inactive)
    reasons = job.pending or {}
    for tasks in (job.active, job.inactive):
        for i, task in enumerate(tasks):
            tasks[i] = task_json(task, known)
            reason = reasons.get(task.assignedTask.taskId)
            if reason is not None:
                tasks[i]["pendingReason"] = reason
    return entry


class StatusJob(Verb):
    name = "status"
    help = "Show the active and recent tasks of one or more jobs."
    options = (opt.PARTIAL_JOBSPEC,)

    def execute(self, context: Context) -> Result:
        pattern: PartialKey = context.options.jobspec
        statuses = Statuses(context, resolve_jobs(context, pattern),
                            slim=context.output_format == "text")
        if not statuses.jobs:
            raise InvalidParameter(f"Found no jobs matching {pattern}",
                                   hint=f"see what exists with: aurora job list "
                                        f"{pattern.cluster}")
        return Result(data=statuses.data, text=statuses.text, rows=statuses.rows)
