"""The pages above a job: all roles, a role's (or an environment's) jobs, recent updates."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from aurora.api.idl import api, status_name
from aurora.devcluster.pages import reads
from aurora.devcluster.pages.markup import Markup, join, link, row, stamp, state, table
from aurora.devcluster.pages.page import NotFound, Page, Section
from aurora.devcluster.rpc import DEFAULT_TIER
from aurora.devcluster.updates import active_states as active_update_states


def update_label(status: int) -> str:
    return api().JobUpdateStatus._VALUES_TO_NAMES.get(status, str(status))


def counts(by_status: dict[int, int]) -> Markup:
    """Tasks counted by state, active states first, each in its colour."""
    active = set(api().ACTIVE_STATES)
    order = sorted(by_status, key=lambda s: (s not in active, status_name(s)))
    return join((state(status_name(s), f"{status_name(s)} {by_status[s]}") for s in order),
                " ")


def roles(handler: Any, parts: list[str]) -> Page:
    """`/` and `/scheduler`: every role with its jobs and tasks."""
    per_role: dict[str, list[reads.JobRow]] = defaultdict(list)
    for job in reads.jobs(handler):
        per_role[job.role].append(job)
    rows = []
    for role, jobs in sorted(per_role.items()):
        listed = [j for j in jobs if j.config is not None]
        cron = sum(1 for j in listed if j.config.cronSchedule)
        tasks: dict[int, int] = defaultdict(int)
        for j in jobs:
            for status, n in j.counts.items():
                tasks[status] += n
        rows.append(row(link(role, "scheduler", role), len(listed) - cron, cron,
                        len(jobs) - len(listed), counts(tasks)))
    body = table(["role", "jobs", "cron jobs", "inactive jobs", "tasks"], rows,
                 "No jobs yet: create one with `aurora job create`.")
    return Page("Roles", [], [Section("roles", "Roles", body)])


def role(handler: Any, parts: list[str]) -> Page:
    """`/scheduler/ROLE[/ENV]`: that role's (environment's) jobs, and only those."""
    role_name, env = parts[0], (parts[1] if len(parts) > 1 else None)
    jobs = reads.jobs(handler, role_name, env)
    where = f"{role_name}/{env}" if env else role_name
    if not jobs:
        raise NotFound(f"No job of {where} exists on this devcluster.")
    listed = [j for j in jobs if j.config is not None]
    gone = [j for j in jobs if j.config is None]
    crumbs = [(role_name, ["scheduler", role_name])] + (
        [(env, ["scheduler", role_name, env])] if env else [])
    sections = [Section("jobs", "Jobs", job_table(listed, "No active or cron jobs."))]
    if gone:
        sections.append(Section("inactive", "Inactive jobs", job_table(gone, ""),
                                folded=f"{len(gone)} job(s) with finished tasks only"))
    return Page(f"Jobs of {where}", crumbs, sections)


def job_table(jobs: list[reads.JobRow], empty: str) -> Markup:
    rows = []
    for j in jobs:
        config = j.config
        task = config.taskConfig if config is not None else None
        tier = (task.tier or DEFAULT_TIER) if task is not None else ""
        update = (link(update_label(j.update[1]), "scheduler", j.role, j.env, j.name,
                       "update", j.update[0]) if j.update else "")
        rows.append(row(j.env, link(j.name, "scheduler", j.role, j.env, j.name),
                        config.instanceCount if config is not None else 0,
                        counts(j.counts), (config.cronSchedule or "") if config else "",
                        tier, update))
    return table(["environment", "job", "instances", "tasks by state", "cron schedule",
                  "tier", "active update"], rows, empty)


def updates(handler: Any, parts: list[str]) -> Page:
    """`/updates`: the newest updates across jobs, with their progress."""
    found, phases = reads.recent_updates(handler.store)
    active = active_update_states()
    rows = []
    for update_id, r, e, n, user, status, created, modified in found:
        counted = phases.get(update_id, {})
        total = sum(v for k, v in counted.items() if k != "skip")
        rows.append(row(link(update_id, "scheduler", r, e, n, "update", update_id),
                        link(f"{r}/{e}/{n}", "scheduler", r, e, n),
                        state(update_label(status)), f"{counted.get('done', 0)} / {total}",
                        user or "", stamp(created), stamp(modified),
                        cls="active" if status in active else ""))
    body = table(["update", "job", "state", "instances done", "started by", "started",
                  "last change"], rows, "No updates yet: start one with `aurora update start`.")
    return Page("Recent updates", [("updates", ["updates"])],
                [Section("updates", f"Newest {reads.UPDATES_SHOWN} updates", body)])
