"""`job status`: the active and recent tasks of one or more jobs."""

from __future__ import annotations

import time
from operator import attrgetter
from typing import Any

from aurora import options as opt
from aurora.command import Context, Verb
from aurora.errors import InvalidParameter
from aurora.jobkey import JobKey, PartialKey
from aurora.jobs import (
    created_ms,
    state_sets,
    thrift_json,
    thrift_key,
    tidy_number,
)
from aurora.output import Result
from aurora.plugins.job.list import resolve_jobs


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


def fetch_tasks(context: Context, key: JobKey) -> list[Any]:
    """The job's tasks; for text output decoded without the fields text never shows."""
    from aurora.api.idl import api
    from aurora.api.views import STATUS_TEXT, tasks_without_configs

    query = api().TaskQuery(jobKeys=[thrift_key(key)])
    client = context.scheduler(key.cluster)
    if context.output_format != "text":
        return client.get_tasks_without_configs(query)
    return tasks_without_configs(client, query, STATUS_TEXT)


def split_tasks(tasks: list[Any], active_states: frozenset[int]) -> tuple[list, list]:
    """(active, inactive) tasks, each by instance and then by creation time."""
    order = sorted(tasks, key=lambda t: (t.assignedTask.instanceId, created_ms(t)))
    return ([t for t in order if t.status in active_states],
            [t for t in order if t.status not in active_states])


BY_TIME = attrgetter("timestamp")
# Built-in formats that show `data` or `rows`, never `text`: 50,000 task blocks are not
# rendered for them (a site's format may show the text, so it gets it).
DATA_FORMATS = frozenset({"json", "yaml", "table", "csv"})


def task_block(task: Any) -> str:
    """One task's lines; called 10,000 times for a large job, so names are looked up
    in the enum's table directly (as status_name does) and events sorted in C."""
    from aurora.api.idl import status_names

    names = status_names()
    at = task.assignedTask
    config = at.task
    job = config.job
    status = names.get(task.status)
    host = f" on {at.slaveHost}" if at.slaveHost else ""      # not placed yet: no host
    lines = [f"\tTask role: {job.role}, env: {job.environment}, name: {job.name}, "
             f"instance: {at.instanceId}, status: "
             f"{task.status if status is None else status}{host}",
             f"\t  {resources_text(config)}"]
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


class StatusJob(Verb):
    name = "status"
    help = "Show the active and recent tasks of one or more jobs."
    options = (opt.PARTIAL_JOBSPEC,)

    def execute(self, context: Context) -> Result:
        from aurora.api.idl import status_name

        pattern: PartialKey = context.options.jobspec
        active_states = state_sets()["ACTIVE"]
        jobs, texts, rows = [], [], []
        keys = resolve_jobs(context, pattern)
        for key in keys:
            active, inactive = split_tasks(fetch_tasks(context, key), active_states)
            if not active and not inactive:
                schedule = cron_schedule(context, key)
                if schedule:
                    jobs.append({"job": str(key), "active": [], "inactive": [],
                                 "cron_schedule": schedule})
                    texts.append(f"Job {key}:\nA cron template with no active tasks; "
                                 f"schedule: {schedule} (aurora cron show {key})\n")
                continue
            jobs.append({"job": str(key), "active": active, "inactive": inactive})
            rows += [{"job": str(key), "instance": t.assignedTask.instanceId,
                      "status": status_name(t.status), "host": t.assignedTask.slaveHost,
                      "failures": t.failureCount, "task_id": t.assignedTask.taskId}
                     for t in active + inactive]
            if context.output_format not in DATA_FORMATS:
                texts.append(f"Job {key}:\nActive tasks ({len(active)}):\n"
                             + "".join(task_block(t) for t in active)
                             + f"Inactive tasks ({len(inactive)}):\n"
                             + "".join(task_block(t) for t in inactive))
        if not jobs:
            raise InvalidParameter(f"Found no jobs matching {pattern}",
                                   hint=f"see what exists with: aurora job list "
                                        f"{pattern.cluster}")
        if context.output_format != "text":   # JSON of 10,000 tasks is not free
            for entry in jobs:
                known = shared_configs(entry["active"] + entry["inactive"])
                for tasks in (entry["active"], entry["inactive"]):
                    for i, task in enumerate(tasks):   # in place: each decoded task is
                        tasks[i] = task_json(task, known)  # freed once converted
        else:
            jobs = [{**entry, "active": len(entry["active"]),
                     "inactive": len(entry["inactive"])} for entry in jobs]
        return Result(data=jobs, text="".join(texts), rows=rows)
