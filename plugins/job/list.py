"""`job list`: the jobs matching a key, globs allowed."""

from __future__ import annotations

from aurora import options as opt
from aurora.command import Context, Verb
from aurora.output import Result
from aurora.plugins.job.common import resolve_jobs


class ListJobs(Verb):
    name = "list"
    help = "List the jobs matching a key (globs allowed in role, environment and name)."
    options = (opt.PARTIAL_JOBSPEC,)

    def execute(self, context: Context) -> Result:
        keys = [str(k) for k in resolve_jobs(context, context.options.jobspec)]
        return Result(data=keys, text="".join(f"{k}\n" for k in keys),
                      rows=[{"job": k} for k in keys])
