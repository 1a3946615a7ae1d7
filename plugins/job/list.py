"""`job list`: the jobs matching a key, globs allowed."""

from __future__ import annotations

from aurora import options as opt
from aurora.command import Context, Verb
from aurora.jobkey import JobKey, PartialKey
from aurora.output import Result


def resolve_jobs(context: Context, pattern: PartialKey) -> list[JobKey]:
    """Exact keys as given; patterns by asking each cluster for its jobs."""
    if pattern.is_exact:
        return [pattern.as_job_key()]
    clusters = sorted(context.clusters) if pattern.cluster == "*" else [pattern.cluster]
    matches = pattern.path_matcher()
    found: list[JobKey] = []
    for name in clusters:
        context.get_cluster(name)
        found += [JobKey(name, *path)
                  for path in context.scheduler(name).get_job_keys(pattern.fixed_role)
                  if matches(path)]
    return found     # sorted: clusters in order, each cluster's keys sorted


class ListJobs(Verb):
    name = "list"
    help = "List the jobs matching a key (globs allowed in role, environment and name)."
    options = (opt.PARTIAL_JOBSPEC,)

    def execute(self, context: Context) -> Result:
        keys = [str(k) for k in resolve_jobs(context, context.options.jobspec)]
        return Result(data=keys, text="".join(f"{k}\n" for k in keys),
                      rows=[{"job": k} for k in keys])
