"""The `sla` noun: how long a job's instances have been up, as upstream computes it.

An instance's uptime is the whole seconds since its first RUNNING event, for
the job's live tasks that have one. `get-task-up-count` gives, per duration,
the percentage of those instances up at least that long; `get-job-uptime`
gives, per percentile p, the uptime that p percent of the instances exceed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from typing import Any

from aurora import options as opt
from aurora.command import CommandOption, Context, Noun, Verb
from aurora.errors import InvalidParameter
from aurora.hookspecs import hookimpl
from aurora.jobkey import JobKey
from aurora.output import Result

DEFAULT_DURATIONS = "1m,10m,1h,12h,7d"
DEFAULT_PERCENTILES = "99,95,90,85,75,60,50,30,10"
UNIT_NAMES = (("days", 86400), ("hrs", 3600), ("mins", 60), ("secs", 1))


def durations(text: str) -> list[int]:
    """`1m,10m,1h3m10s,90` → seconds, ascending; each item a positive length of time."""
    from aurora.durations import EXAMPLES, seconds

    found = set()
    for item in text.split(","):
        value = seconds(item)
        if not value:
            raise InvalidParameter(f"invalid duration '{item}' in --durations '{text}'",
                                   hint=f"use positive lengths of time, {EXAMPLES}, "
                                        "separated by commas")
        found.add(value)
    return sorted(found)


def percentiles(text: str) -> list[float]:
    """`99,95.5,50` → floats, descending; each strictly between 0 and 100."""
    values = set()
    for item in text.split(","):
        try:
            value = float(item)
        except ValueError:
            value = math.nan
        if not 0 < value < 100:
            raise InvalidParameter(f"invalid percentile '{item}' in --percentiles '{text}'",
                                   hint="use numbers greater than 0 and less than 100, "
                                        "e.g. 99,95,50")
        values.add(value)
    return sorted(values, reverse=True)


def duration_text(seconds: int) -> str:
    """In the largest unit that is exact: 60 → `1 mins`, 90 → `90 secs`, 7d → `7 days`."""
    for name, size in UNIT_NAMES:
        if seconds % size == 0:
            return f"{seconds // size} {name}"
    return f"{seconds} secs"


def instance_uptimes(tasks: Iterable[Any], now: float) -> dict[int, int]:
    """Instance → whole seconds since its task's first RUNNING event (instances without one
    are left out)."""
    from aurora.api.idl import api

    running = api().ScheduleStatus.RUNNING
    uptimes = {}
    for task in tasks:
        for event in task.taskEvents or ():
            if event.status == running:
                uptimes[task.assignedTask.instanceId] = math.floor(now - event.timestamp / 1000)
                break
    return uptimes


def up_percentage(uptimes: list[int], duration: int) -> float:
    return 100.0 * sum(1 for u in uptimes if u >= duration) / len(uptimes) if uptimes else 0.0


def uptime_at(sorted_uptimes: list[int], percentile: float) -> int:
    """The uptime `percentile` percent of the instances exceed (0 when there is none)."""
    count = len(sorted_uptimes)
    index = count - math.floor(percentile / 100 * count) - 1
    return sorted_uptimes[index] if 0 <= index < count else 0


def job_uptimes(context: Context, key: JobKey) -> list[int]:
    """Ascending uptimes of the job's live instances, measured now."""
    from aurora.api.client import Refusal
    from aurora.api.idl import api
    from aurora.jobs import thrift_key
    from aurora.tasks import state_sets

    query = api().TaskQuery(jobKeys=[thrift_key(key)], statuses=set(state_sets()["LIVE"]))
    tasks = context.scheduler(key.cluster).get_task_events(
        query, refused=Refusal(f"Error retrieving the tasks of {key}:"))
    return sorted(instance_uptimes(tasks, time.time()).values())


class TaskUpCount(Verb):
    name = "get-task-up-count"
    help = "Show the percentage of a job's instances up for at least each duration."
    options = (CommandOption("--durations", type=durations, default=DEFAULT_DURATIONS,
                             metavar="LIST",
                             help=f"durations such as {DEFAULT_DURATIONS} (the default)"),
               opt.JOBSPEC)

    def execute(self, context: Context) -> Result:
        uptimes = job_uptimes(context, context.options.jobspec)
        rows = [{"duration_seconds": d, "duration": duration_text(d),
                 "percentage": up_percentage(uptimes, d)} for d in context.options.durations]
        text = "".join(f"{r['duration']}\t- {r['percentage']:.2f} %\n" for r in rows)
        return Result(data={"job": str(context.options.jobspec), "instances": len(uptimes),
                            "up_counts": rows},
                      text=text, rows=rows, columns=("duration", "duration_seconds",
                                                     "percentage"))


class JobUptime(Verb):
    name = "get-job-uptime"
    help = "Show the uptime that each percentile of a job's instances exceeds."
    options = (CommandOption("--percentiles", type=percentiles, default=DEFAULT_PERCENTILES,
                             metavar="LIST",
                             help=f"percentiles such as {DEFAULT_PERCENTILES} (the default)"),
               opt.JOBSPEC)

    def execute(self, context: Context) -> Result:
        uptimes = job_uptimes(context, context.options.jobspec)
        rows = [{"percentile": p, "uptime_seconds": uptime_at(uptimes, p)}
                for p in context.options.percentiles]
        text = "".join(f"{float(r['percentile'])} percentile\t- "
                       f"{float(r['uptime_seconds'])} seconds\n" for r in rows)
        return Result(data={"job": str(context.options.jobspec), "instances": len(uptimes),
                            "uptimes": rows},
                      text=text, rows=rows, columns=("percentile", "uptime_seconds"))


class SlaNoun(Noun):
    name = "sla"
    help = "Work with service level data: how long a job's instances have been up."


@hookimpl
def register_nouns(cli: Any) -> None:
    cli.register_noun(SlaNoun().with_verbs(TaskUpCount(), JobUptime()))
