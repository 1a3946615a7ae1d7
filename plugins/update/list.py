"""`update list`: the updates of a cluster, role, environment or job, filtered by status."""

from __future__ import annotations

from typing import Any

from aurora.command import CommandOption, Context, Verb
from aurora.jobkey import PartialKey, parse_partial_key
from aurora.output import Result
from aurora.plugins.update.common import (
    ACTIVE,
    STATUS_GROUPS,
    TERMINAL,
    status_values,
    summaries,
    summary_row,
)

COLUMNS = ("job", "id", "status", "user", "started", "last_modified")
STATUS_CHOICES = sorted(STATUS_GROUPS) + list(ACTIVE + TERMINAL)


def chosen_statuses(names: list[str] | None) -> set[int] | None:
    """The union of the statuses and groups given with --status (None: every status)."""
    if not names:
        return None
    picked: list[str] = []
    for name in names:
        picked += STATUS_GROUPS.get(name, (name,))
    return status_values(picked)


def query_for(pattern: PartialKey, statuses: set[int] | None, user: str | None) -> Any:
    """Ask the scheduler for as little as the pattern allows; globs are matched here."""
    from aurora.api.idl import api
    from aurora.jobs import thrift_key

    exact = pattern.is_exact
    role = None if exact or any(c in pattern.role for c in "*?[") else pattern.role
    return api().JobUpdateQuery(jobKey=thrift_key(pattern.as_job_key()) if exact else None,
                                role=role, updateStatuses=statuses, user=user)


class ListUpdates(Verb):
    name = "list"
    help = "List updates of a cluster, role, environment or job (globs allowed)."
    options = (
        CommandOption("jobspec", metavar="CLUSTER[/ROLE[/ENV[/NAME]]]", type=parse_partial_key,
                      help="whose updates; missing parts and shell globs match many jobs"),
        CommandOption("--status", action="append", default=None, choices=STATUS_CHOICES,
                      metavar="STATUS",
                      help="only updates in this status or group (repeatable): "
                           f"{', '.join(sorted(STATUS_GROUPS))} or a status name"),
        CommandOption("--user", default=None, metavar="USER",
                      help="only updates started by this user"),
    )

    def execute(self, context: Context) -> Result:
        o = context.options
        pattern: PartialKey = o.jobspec
        context.get_cluster(pattern.cluster)
        query = query_for(pattern, chosen_statuses(o.status), o.user)
        matches = pattern.path_matcher()
        rows = [summary_row(s, pattern.cluster)
                for s in summaries(context, pattern.cluster, query)
                if matches((s.key.job.role, s.key.job.environment, s.key.job.name))]
        return Result(data=rows, columns=list(COLUMNS))    # text: the table format's

