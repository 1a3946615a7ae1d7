"""`/scheduler/ROLE/ENV/JOB`: a job's active instances, recent finished tasks, its
configuration and its updates."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from aurora.api.idl import api, status_name
from aurora.devcluster.pages import reads
from aurora.devcluster.pages.markup import (
    Markup,
    age,
    escape,
    join,
    link,
    pairs,
    row,
    stamp,
    state,
    table,
)
from aurora.devcluster.pages.overview import counts, update_label
from aurora.devcluster.pages.page import NotFound, Page, Section
from aurora.devcluster.rpc import DEFAULT_TIER, ranges
from aurora.devcluster.store import now_ms

BIG_JOB = 1000      # instances past which the page refreshes less often


def view(handler: Any, parts: list[str]) -> Page:
    role, env, name = parts
    job = reads.job(handler, role, env, name)
    if job is None:
        raise NotFound(f"No job {role}/{env}/{name} exists on this devcluster.")
    now = now_ms()
    by_state: dict[int, int] = defaultdict(int)
    for task in job.active:
        by_state[task.status] += 1
    sections = [
        Section("summary", "Instances", counts(by_state) or Markup("No active instances.")),
        Section("active", "Active instances", active_table(job.active, now)),
        Section("finished", "Recent finished tasks", finished_table(job.finished),
                folded=f"{job.finished_total} finished task(s); the newest "
                       f"{min(job.finished_total, reads.FINISHED_SHOWN)} shown"),
        Section("updates", "Updates", updates_table(role, env, name, job.updates)),
        Section("config", "Configuration", configuration(job), live=False),
    ]
    return Page(f"Job {role}/{env}/{name}",
                [(role, ["scheduler", role]), (env, ["scheduler", role, env]),
                 (name, ["scheduler", role, env, name])], sections,
                poll_ms=2000 if len(job.active) <= BIG_JOB else 10000)


def events_cell(events: list[tuple[int, int, str | None]]) -> Markup:
    return join(Markup(f'<div class="ev">{stamp(ts)} {state(status_name(st))} '
                       f'{escape(message or "")}</div>') for ts, st, message in reversed(events))


def ports_cell(host: str | None, ports: dict[str, int]) -> Markup:
    if not host:
        return join(f"{k}={v}" for k, v in sorted(ports.items()))
    return join((Markup(f'<a href="http://{escape(host)}:{int(v)}/">{escape(k)}={int(v)}</a>')
                 for k, v in sorted(ports.items())), " ")


def active_table(tasks: list[reads.TaskRow], now: int) -> Markup:
    rows = []
    cells: dict[tuple, Markup] = {}     # tasks that lived alike share their events' HTML
    for t in tasks:
        name = status_name(t.status)
        since = t.events[-1][0] if t.events else None
        rows.append(row(t.instance, state(name), t.host or "", ports_cell(t.host, t.ports),
                        age(since, now), cells.get(tuple(t.events)) or cells.setdefault(
                            tuple(t.events), events_cell(t.events)),
                        Markup(f'<span class="id">{escape(t.task_id)}</span>'),
                        cls=f"st-row-{name.lower()}"))
    return table(["instance", "state", "host", "ports", "in state for", "last events",
                  "task"], rows, "No active instances.")


def finished_table(tasks: list[reads.TaskRow]) -> Markup:
    rows = []
    for t in tasks:
        ended, _, message = t.events[-1] if t.events else (None, None, None)
        rows.append(row(t.instance, state(status_name(t.status)), stamp(ended),
                        message or "", t.host or "",
                        Markup(f'<span class="id">{escape(t.task_id)}</span>')))
    return table(["instance", "state", "ended", "last message", "host", "task"], rows,
                 "No finished tasks.")


def updates_table(role: str, env: str, name: str, updates: list[tuple]) -> Markup:
    rows = [row(link(update_id, "scheduler", role, env, name, "update", update_id),
                state(update_label(status)), user or "", stamp(created), stamp(modified))
            for update_id, status, user, created, modified in updates]
    return table(["update", "state", "started by", "started", "last change"], rows,
                 "No updates of this job.")


def configuration(job: reads.JobView) -> Markup:
    """The job's settings, its processes, and which instances run which config."""
    config = job.config
    task = config.taskConfig
    facts = [("owner", task.owner.user if task.owner else ""),
             ("service", "yes" if task.isService else "no"),
             ("tier", task.tier or DEFAULT_TIER),
             ("production", "yes" if task.production else "no"),
             ("priority", task.priority), ("max task failures", task.maxTaskFailures),
             ("instances", config.instanceCount), ("resources", resources(task)),
             ("constraints", join((f"{c.name}: {constraint_text(c.constraint)}"
                                   for c in sorted(task.constraints or (), key=lambda c: c.name)),
                                  "; ")),
             ("metadata", join((f"{m.key}={m.value}" for m in
                                sorted(task.metadata or (), key=lambda m: (m.key, m.value))),
                               "; ")),
             ("contact", task.contactEmail or ""),
             ("links", join((Markup(f'{escape(k)}: {escape(v)}') for k, v in
                             sorted((task.taskLinks or {}).items())), "; "))]
    if config.cronSchedule:
        policy = api().CronCollisionPolicy._VALUES_TO_NAMES.get(config.cronCollisionPolicy, "")
        facts += [("cron schedule", config.cronSchedule), ("cron collision policy", policy),
                  ("next cron run", stamp(job.next_cron_ms))]
    if len(job.configs) > 1:
        groups: dict[str, list[int]] = defaultdict(list)
        for t in job.active:
            groups[t.config_hash].append(t.instance)
        facts.append(("configurations", join(
            (f"{digest[:10]}: instances {range_text(ids)}" for digest, ids in groups.items()),
            "; ")))
    data = executor_data(task)
    procs = [row(p.get("name", ""), p.get("cmdline", "")) for p in
             (data.get("task") or {}).get("processes", []) if isinstance(p, dict)]
    return join([Markup("<dl>"), pairs(facts), Markup("</dl><h3>Processes</h3>"),
                 table(["process", "command line"], procs, "No processes."),
                 Markup("<details><summary>Executor configuration</summary><pre>"),
                 json.dumps(data, indent=2, sort_keys=True), Markup("</pre></details>")])


def executor_data(task: Any) -> dict:
    try:
        data = json.loads(task.executorConfig.data) if task.executorConfig else {}
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def resources(task: Any) -> str:
    parts = []
    for r in task.resources or ():
        for label, value in (("cpus", r.numCpus), ("ram MB", r.ramMb), ("disk MB", r.diskMb),
                             ("gpus", r.numGpus), ("port", r.namedPort)):
            if value is not None:
                parts.append(f"{label} {value}")
    return ", ".join(sorted(parts))


def constraint_text(constraint: Any) -> str:
    if constraint is None:
        return ""
    if constraint.limit is not None:
        return f"limit {constraint.limit.limit}"
    value = constraint.value
    if value is None:
        return ""
    return ("not " if value.negated else "") + ", ".join(sorted(value.values or ()))


def range_text(ids: list[int]) -> str:
    return ", ".join(f"{r.first}" if r.first == r.last else f"{r.first}-{r.last}"
                     for r in ranges(ids))
