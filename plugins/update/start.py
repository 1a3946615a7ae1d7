"""`update start`: ask the scheduler to roll a job to the configuration in its job file.

The request carries the task config, the instance count and the settings read
from `update_config`, plus an id of our own in its metadata. A write is sent
once; when its answer is lost the id tells whether the update started: the
update carrying it is looked up instead of starting a second one. A refusal
that names an update carrying our id (a retry by something between us and the
scheduler) counts as success too, as upstream.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from aurora import options as opt
from aurora.command import CommandOption, Context, Verb
from aurora.errors import (
    CommandFailure,
    ConfigurationError,
)
from aurora.job_file_hooks import hooked
from aurora.jobkey import JobKey, instance_ranges
from aurora.jobs import load_config
from aurora.output import Result, emit
from aurora.plugins.update.common import (
    CLIENT_ID_KEY,
    FORWARD_OUTCOMES,
    MESSAGE,
    diff_preview,
    start,
    started_key,
    update_url,
    wait_for_update,
)
from aurora.tasks import active_instances_or_raise
from aurora.weblinks import open_in_browser

if TYPE_CHECKING:
    from aurora.config.job import JobConfig

MIN_PULSE_SECS = 60


def _field(update: Any, name: str) -> Any:
    from aurora.config.loader import field_value

    return field_value(update, name)


def invalid(path: str, problem: str, hint: str) -> ConfigurationError:
    return ConfigurationError(f"{path}: invalid update_config: {problem}", hint=hint)


def strategy(path: str, update: Any, batch_size: int, wait_batches: bool) -> tuple[Any, int]:
    """The JobUpdateStrategy and the group size the settings carry."""
    from aurora.api.idl import api

    a = api()
    if not update.has_update_strategy():
        if wait_batches:
            return a.JobUpdateStrategy(batchStrategy=a.BatchJobUpdateStrategy(
                groupSize=batch_size, autopauseAfterBatch=False)), batch_size
        return a.JobUpdateStrategy(queueStrategy=a.QueueJobUpdateStrategy(
            groupSize=batch_size)), batch_size
    if wait_batches:
        raise invalid(path, "wait_for_batch_completion cannot be combined with update_strategy",
                      "drop wait_for_batch_completion (BatchUpdateStrategy waits for batches)")
    if batch_size > 1:
        raise invalid(path, "batch_size cannot be combined with update_strategy",
                      "set the batch size inside the update_strategy instead")
    chosen = update.update_strategy().unwrap()
    kind = type(chosen).__name__
    if kind == "VariableBatchUpdateStrategy":
        sizes = [int(s) for s in _field(chosen, "batch_sizes")]
        if not sizes or min(sizes) <= 0:
            raise invalid(path, f"update_strategy.batch_sizes must be positive numbers, got "
                                f"{sizes}", "e.g. VariableBatchUpdateStrategy(batch_sizes=[1, 5])")
        return a.JobUpdateStrategy(varBatchStrategy=a.VariableBatchJobUpdateStrategy(
            groupSizes=sizes, autopauseAfterBatch=bool(_field(chosen, "autopause_after_batch")))
        ), batch_size
    size = int(_field(chosen, "batch_size"))
    if size <= 0:
        raise invalid(path, f"update_strategy.batch_size must be greater than 0, got {size}",
                      f"e.g. {kind}(batch_size=1)")
    if kind == "BatchUpdateStrategy":
        return a.JobUpdateStrategy(batchStrategy=a.BatchJobUpdateStrategy(
            groupSize=size, autopauseAfterBatch=bool(_field(chosen, "autopause_after_batch")))
        ), size
    return a.JobUpdateStrategy(queueStrategy=a.QueueJobUpdateStrategy(groupSize=size)), size


def _count(path: str, update: Any, name: str, least: int = 0) -> int:
    value = int(_field(update, name))
    if value < least:
        raise invalid(path, f"{name} must be at least {least}, got {value}",
                      f"set update_config {name} to {least} or more")
    return value


def update_settings(config: JobConfig, instances: tuple[int, ...] | None) -> Any:
    """JobUpdateSettings from the job's update_config; exit 3 naming a bad field."""
    from aurora.api.idl import api

    a = api()
    path = config.path
    update = config.job.update_config().interpolate()[0]
    batch_size = _count(path, update, "batch_size", 1)
    wait_batches = bool(_field(update, "wait_for_batch_completion"))
    chosen, group_size = strategy(path, update, batch_size, wait_batches)
    pulse_ms = None
    if update.has_pulse_interval_secs():
        pulse = int(_field(update, "pulse_interval_secs"))
        if pulse < MIN_PULSE_SECS:
            raise invalid(path, f"pulse_interval_secs must be at least {MIN_PULSE_SECS} "
                                f"seconds, got {pulse}", "raise it, or drop it for an update "
                                                         "that needs no pulses")
        pulse_ms = pulse * 1000
    return a.JobUpdateSettings(
        updateGroupSize=group_size,
        maxPerInstanceFailures=_count(path, update, "max_per_shard_failures"),
        maxFailedInstances=_count(path, update, "max_total_failures"),
        minWaitInInstanceRunningMs=_count(path, update, "watch_secs") * 1000,
        rollbackOnFailure=bool(_field(update, "rollback_on_failure")),
        updateOnlyTheseInstances={a.Range(first=f, last=t) for f, t in instance_ranges(
            list(instances))} if instances else None,
        waitForBatchCompletion=wait_batches or chosen.batchStrategy is not None,
        blockIfNoPulsesAfterMs=pulse_ms,
        slaAware=bool(_field(update, "sla_aware")),
        updateStrategy=chosen)


class StartUpdate(Verb):
    name = "start"
    changes_state = True
    help = "Start a rolling update of a job to the configuration in its job file."
    description = (help + " With --wait, --timeout SECONDS stops waiting (exit 9) and Ctrl-C "
                   "stops waiting (exit 130); neither touches the update.")
    options = (opt.BIND, opt.OPEN_BROWSER,
               CommandOption("--healthcheck-interval-seconds", type=float, default=None,
                             metavar="N", help="accepted for compatibility; the scheduler "
                                               "and executor run the health checks"),
               opt.READ_JSON, MESSAGE, opt.STRICT,
               CommandOption("--wait", action="store_true", default=False,
                             help="wait until the update ends, showing its progress"),
               CommandOption("--no-diff", action="store_true", default=False,
                             help="do not ask for and print the preview of the changes"),
               opt.INSTANCE_SPEC, opt.CONFIG_FILE)

    def execute(self, context: Context) -> Result:
        from aurora.api.idl import api

        a = api()
        o = context.options
        key: JobKey = o.instance_spec.job
        instances = o.instance_spec.instances
        update_id = str(uuid.uuid4())
        if o.healthcheck_interval_seconds is not None:
            context.print_stderr("aurora: warning: --healthcheck-interval-seconds has no effect: "
                                 "health checks are set in the job file")
        config = load_config(context, key, o.config_file, o.bindings, o.read_json)
        if config.thrift.cronSchedule:
            raise CommandFailure('Cron jobs may only be updated with "aurora cron schedule" '
                                 "command", hint=f"run: aurora cron schedule {key} "
                                                 f"{o.config_file}")
        if instances and o.strict:
            active_instances_or_raise(context.scheduler(key.cluster), key, instances)
        request = a.JobUpdateRequest(taskConfig=config.thrift.taskConfig,
                                     instanceCount=config.instances,
                                     settings=update_settings(config, instances))
        text, diff = diff_preview(context, key, request)
        request.metadata = {a.Metadata(key=CLIENT_ID_KEY, value=update_id)}
        context.print_stderr(f"Starting update for: {key.name}")
        response = hooked(context, config, None, "start_job_update", (config, o.message),
                          {"instances": list(instances) if instances else None,
                           "metadata": {CLIENT_ID_KEY: update_id}},
                          lambda: start(context, key, request, update_id))
        return self.started(context, key, started_key(response), text, diff)

    def started(self, context: Context, key: JobKey, outcome: tuple[Any, list[str]],
                text: str, diff: Any) -> Result:
        o = context.options
        update, said = outcome
        if update is None:                               # nothing to change
            message = ", ".join(said) or "Noop update."
            return Result(data={"job": str(key), "id": None, "url": None, "diff": diff,
                                "message": message}, text=f"{text}{message}\n")
        url = update_url(context, key, update.id)
        text += f"Job update has started. View your update progress at {url}\n"
        data = {"job": str(key), "id": update.id, "url": url, "diff": diff, "message": None}
        if o.open_browser:
            open_in_browser(url)
        if not o.wait:
            return Result(data=data, text=text)
        if context.output_format == "text":
            emit(text)                   # the preview comes before the (long) wait
        waited = wait_for_update(context, key, update, FORWARD_OUTCOMES)
        return Result(data={**data, **waited.data}, text=waited.text,
                      exit_code=waited.exit_code)
