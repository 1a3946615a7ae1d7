"""The `cron` noun: schedule, deschedule, start, show (and its alias status)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aurora import options as opt
from aurora.command import Context, Noun, Verb
from aurora.config.aurora_config import AuroraJobKey
from aurora.errors import CommandFailure, InvalidParameter
from aurora.hookspecs import hookimpl
from aurora.job_file_hooks import hooked
from aurora.jobs import hooks_config, load_config, thrift_key
from aurora.output import Result
from aurora.weblinks import job_page, open_in_browser

NEXT_RUNS = 3


def cron_call(context: Context, key: Any, method: str, argument: Any, failure: str,
              hook: Callable[[Callable[[], Any]], Any] = lambda call: call()) -> Any:
    """One cron RPC (run through `hook`, e.g. the API hooks) and its Response.

    A refusal becomes `<failure> <key>: <scheduler's message>`, exit 10.
    """
    from aurora.api.client import Refusal

    refused = Refusal(f"{failure} {key}:")
    return hook(lambda: context.scheduler(key.cluster).call(method, argument, refused=refused))


class ScheduleCron(Verb):
    name = "schedule"
    changes_state = True
    help = "Create or replace a cron job from a job file that has a cron_schedule."
    options = (opt.BIND, opt.READ_JSON, opt.JOBSPEC, opt.CONFIG_FILE)

    def execute(self, context: Context) -> Result:
        o = context.options
        key = o.jobspec
        config = load_config(context, key, o.config_file, o.bindings, o.read_json)
        if not config.thrift.cronSchedule:
            raise CommandFailure('Non-cron jobs may only be created with "aurora job create" '
                                 "command", hint=f"run: aurora job create {key} "
                                                 f"{o.config_file}")
        context.print_stderr(f"Registering job {key.name} with cron")
        cron_call(context, key, "scheduleCronJob", config.thrift, "Error scheduling cron job")
        url = job_page(context, key)
        return Result(data={"job": str(key), "url": url,
                            "schedule": config.thrift.cronSchedule},
                      text=f"Cron job scheduled, status can be viewed at {url}\n")


class DescheduleCron(Verb):
    name = "deschedule"
    changes_state = True
    help = "Remove a cron job's schedule (running tasks are left alone)."
    options = (opt.JOBSPEC,)

    def execute(self, context: Context) -> Result:
        key = context.options.jobspec
        context.print_stderr(f"Removing cron schedule for job {key}")
        cron_call(context, key, "descheduleCronJob", thrift_key(key),
                  "Error descheduling cron job")
        return Result(data={"job": str(key)}, text="Cron descheduling succeeded.\n")


class StartCron(Verb):
    name = "start"
    changes_state = True
    help = "Run a cron job now, outside its schedule."
    options = (opt.BIND, opt.OPEN_BROWSER, opt.CONFIG, opt.READ_JSON, opt.JOBSPEC)

    def execute(self, context: Context) -> Result:
        o = context.options
        key = o.jobspec
        config = hooks_config(context, key)
        context.print_stderr(f"Starting cron job: {key}")
        job_key = AuroraJobKey.of(key)
        cron_call(context, key, "startCronJob", thrift_key(key), "Error starting cron job",
                  lambda call: hooked(context, config, job_key, "start_cronjob", (job_key,),
                                      {"config": config}, call))
        if o.open_browser:
            open_in_browser(job_page(context, key))
        return Result(data={"job": str(key), "started": True}, text="")


def next_runs(schedule: str, count: int = NEXT_RUNS) -> list[str]:
    """The next `count` run times; fewer (none) for a schedule no date matches, as a
    scheduler may hold from before it refused such schedules."""
    from croniter import CroniterBadDateError, croniter

    runs = croniter(schedule, time.time())
    times: list[str] = []
    try:
        for _ in range(count):
            times.append(time.strftime("%Y-%m-%d %H:%M:%S",
                                       time.localtime(runs.get_next(float))))
    except CroniterBadDateError:
        pass
    return times


class ShowCron(Verb):
    name = "show"
    help = "Show a cron job's schedule, collision policy and next run times."
    options = (opt.JOBSPEC,)

    def execute(self, context: Context) -> Result:
        from aurora.api.idl import api

        key = context.options.jobspec
        configs = context.scheduler(key.cluster).get_jobs(key.role).configs or []
        found: Any = next((c for c in configs if (c.key.environment, c.key.name) ==
                           (key.env, key.name) and c.cronSchedule), None)
        if found is None:
            raise InvalidParameter(f"No cron entry found for job {key}",
                                   hint=f"schedule one with: aurora cron schedule {key} FILE")
        policy = api().CronCollisionPolicy._VALUES_TO_NAMES.get(
            found.cronCollisionPolicy or 0, "KILL_EXISTING")
        runs = next_runs(found.cronSchedule)
        text = (f"{key}\t {found.cronSchedule}\n  collision policy: {policy}\n"
                f"  next runs: {', '.join(runs) or 'never (no date matches the schedule)'}\n")
        return Result(data={"job": str(key), "schedule": found.cronSchedule,
                            "collision_policy": policy, "next_runs": runs}, text=text)


class StatusCron(ShowCron):
    name = "status"
    help = "Same as show."


class CronNoun(Noun):
    name = "cron"
    help = "Schedule, run and inspect cron jobs."


@hookimpl
def register_nouns(cli: Any) -> None:
    cli.register_noun(CronNoun().with_verbs(ScheduleCron(), DescheduleCron(), StartCron(),
                                            ShowCron(), StatusCron()))
