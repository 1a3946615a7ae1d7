"""What the job noun's verbs share: waiting states, SLA checks, killing in batches,
finding jobs by pattern. Verb modules import from here, never from each other."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aurora import options as opt
from aurora.command import CommandOption, Context
from aurora.errors import CommandFailure, InvalidParameter, SchedulerTimeout
from aurora.jobkey import JobKey
from aurora.jobs import hooks_config, thrift_key
from aurora.output import Result
from aurora.tasks import active_tasks, state_sets, wait_for

if TYPE_CHECKING:
    from aurora.jobkey import PartialKey

WAIT_STATES = {"RUNNING": ("LIVE", "TERMINAL"), "FINISHED": ("TERMINAL",)}


def wait_states(name: str) -> frozenset[int]:
    sets = state_sets()
    return frozenset().union(*(sets[s] for s in WAIT_STATES[name]))


def has_sla_policy(tasks: list) -> bool:
    return any(t.assignedTask.task.slaPolicy is not None and (
        t.assignedTask.task.slaPolicy.percentageSlaPolicy is not None
        or t.assignedTask.task.slaPolicy.countSlaPolicy is not None) for t in tasks)


KILL_TIMEOUT = 300.0
NO_BATCHING = CommandOption("--no-batching", action="store_true", default=False,
                            help="kill all instances with one request")
KILL_OPTIONS = (opt.OPEN_BROWSER, opt.BIND, opt.READ_JSON, opt.CONFIG, opt.BATCH_SIZE,
          opt.MAX_TOTAL_FAILURES, NO_BATCHING, opt.MESSAGE)


def kill(context: Context, key: JobKey, instances: list[int] | None,
         tasks: list[Any] | None = None) -> tuple[list[int], str]:
    """Kill `instances` (None = all) as the options ask; returns (killed ids, report).
    `tasks`: the job's active tasks, when the caller has just read them."""
    from aurora.config.aurora_config import AuroraJobKey  # (not on `job status`'s path)
    from aurora.job_file_hooks import hooked

    o = context.options
    config = hooks_config(context, key)
    client = context.scheduler(key.cluster)

    job_key = AuroraJobKey.of(key)

    def kill_tasks(ids: Any) -> Any:
        return hooked(context, config, job_key, "kill_job", (job_key, ids),
                      {"config": config, "message": o.message},
                      lambda: client.kill_tasks(thrift_key(key), set(ids) if ids else None,
                                                o.message))
    terminal = state_sets()["TERMINAL"]
    context.print_stderr(f"Killing tasks for job: {key}")
    if o.no_batching:
        kill_tasks(instances)
        if not wait_for(client, key, instances, terminal, timeout=KILL_TIMEOUT):
            raise SchedulerTimeout(f"Instances {instances or 'of ' + str(key)} were not killed "
                                   f"in time ({KILL_TIMEOUT:.0f}s)",
                                   hint=f"see where they are with: aurora job status {key}")
        return instances or [], ""
    if o.batch_size <= 0:
        raise InvalidParameter(f"--batch-size must be positive, got {o.batch_size}")
    tasks = active_tasks(client, key) if tasks is None else tasks
    active = sorted({t.assignedTask.instanceId for t in tasks})
    if not active:
        raise InvalidParameter(f"No tasks to kill found for job {key}",
                               hint=f"see its tasks with: aurora job status {key}")
    targets = [i for i in active if instances is None or i in instances]
    killed, report, errors = [], [], 0
    while targets:
        batch, targets = targets[:o.batch_size], targets[o.batch_size:]
        kill_tasks(batch)
        if wait_for(client, key, batch, terminal, timeout=KILL_TIMEOUT):
            killed += batch
            report.append(f"Successfully killed instances {batch}\n")
            continue
        errors += 1
        context.print_stderr(f"Instances {batch} were not killed in time")
        if errors > o.max_total_failures:
            raise CommandFailure("Exceeded maximum number of errors while killing instances",
                                 hint=f"killed so far: {killed}")
    if errors:
        raise CommandFailure("Errors occurred while killing instances",
                             hint=f"killed: {killed}")
    return killed, "".join(report)


def finish(context: Context, key: JobKey, killed: list[int], report: str,
           verb: str) -> Result:
    if context.options.open_browser:
        from aurora.weblinks import job_page, open_in_browser

        open_in_browser(job_page(context, key))
    return Result(data={"job": str(key), "killed": killed},
                  text=f"{report}Job {verb} succeeded\n")


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
