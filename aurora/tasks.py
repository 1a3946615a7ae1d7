"""A job's tasks, given a client and a job key: state groups, the active tasks, and
waiting until instances reach a state (`wait_for`)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from aurora.errors import InvalidParameter
from aurora.jobkey import JobKey
from aurora.output import StatusLine, stamped

if TYPE_CHECKING:
    from aurora.api.client import SchedulerClient


from aurora.jobs import thrift_key


def state_sets() -> dict[str, frozenset[int]]:
    from aurora.api.idl import api

    a = api()
    s = a.ScheduleStatus
    return {"ACTIVE": frozenset(a.ACTIVE_STATES), "LIVE": frozenset(a.LIVE_STATES),
            "TERMINAL": frozenset(a.TERMINAL_STATES), "RUNNING": frozenset({s.RUNNING})}


def active_tasks(client: SchedulerClient, key: JobKey,
                 instances: Iterable[int] | None = None) -> list[Any]:
    """The job's active tasks (of `instances` when given), without their configurations."""
    from aurora.api.idl import api

    query = api().TaskQuery(jobKeys=[thrift_key(key)], statuses=set(state_sets()["ACTIVE"]),
                            instanceIds=set(instances) if instances else None)
    return client.get_tasks_without_configs(query)


def active_instances_or_raise(client: SchedulerClient, key: JobKey,
                              instances: Iterable[int], tasks: list[Any] | None = None
                              ) -> list[int]:
    """Fail (exit 6) naming the requested instances that are not active; `tasks` are the
    job's active tasks when the caller has just read them (one round trip saved)."""
    tasks = active_tasks(client, key) if tasks is None else tasks
    active = {t.assignedTask.instanceId for t in tasks}
    missing = sorted(set(instances) - active)
    if missing:
        raise InvalidParameter(f"Invalid instance parameter: {missing} not active in {key}",
                               hint=f"active instances: {sorted(active) or 'none'}")
    return sorted(active)


def pending_reasons(client: SchedulerClient, key: JobKey, tasks: list[Any]) -> dict[str, str]:
    """Why the scheduler keeps the job's PENDING tasks pending (task id -> its reason),
    asked only when `tasks` hold one: no round trip for a job without any."""
    from aurora.api.idl import api

    a = api()
    if not any(t.status == a.ScheduleStatus.PENDING for t in tasks):
        return {}
    return client.get_pending_reasons(a.TaskQuery(jobKeys=[thrift_key(key)]))


def created_ms(task: Any) -> int:
    """When a task was created: the time of its first event (0 when it has none)."""
    return task.taskEvents[0].timestamp if task.taskEvents else 0


def current_per_instance(tasks: Iterable[Any]) -> dict[int, Any]:
    """For each instance, the task created last (by its first event)."""
    latest: dict[int, Any] = {}
    for task in tasks:
        instance = task.assignedTask.instanceId
        if instance not in latest or created_ms(task) >= created_ms(latest[instance]):
            latest[instance] = task
    return latest


class StateProgress:
    """The live line while instances reach a state (`job create --wait-until`): on a
    terminal redrawn at least every second with the time waited, otherwise a line
    each time the counts change."""

    def __init__(self, goal: str, expected: int, line: StatusLine | None = None):
        self.goal, self.expected = goal, expected
        self.line = line or StatusLine()
        self.counts = ""

    def polled(self, tasks: dict[int, Any], states: frozenset[int]) -> None:
        """What the last poll saw: how many are there, and the others' states."""
        from aurora.api.idl import status_name

        waiting: dict[str, int] = {}
        for task in tasks.values():
            if task.status not in states:
                name = status_name(task.status)
                waiting[name] = waiting.get(name, 0) + 1
        there = len(tasks) - sum(waiting.values())
        total = max(self.expected, len(tasks))
        self.counts = f"waiting until {self.goal}: {there}/{total} there"
        if len(tasks) < total:
            waiting["not created"] = total - len(tasks)
        if waiting:
            self.counts += "; " + ", ".join(f"{n} {name}" for name, n in sorted(
                waiting.items(), key=lambda item: (-item[1], item[0])))
        self.line.show(self.render() if self.line.tty else self.counts)

    def render(self) -> str:
        return stamped(self.line.elapsed(), self.counts)

    def pause(self, seconds: float) -> None:
        self.line.wait(seconds, self.render)

    def close(self) -> None:
        self.line.close()


def wait_for(client: SchedulerClient, key: JobKey, instances: Iterable[int] | None,
             states: frozenset[int], timeout: float | None = None,
             first_interval: float = 0.1, max_interval: float = 5.0,
             seen: dict[int, Any] | None = None,
             progress: StateProgress | None = None) -> bool:
    """Poll until every instance's current task is in `states`; False on timeout.
    `seen`, when given, receives the last poll's task per instance (no second read);
    `progress`, when given, is shown each poll and redrawn while waiting.

    The first look comes soon (a devcluster or an idle scheduler acts within a
    tick); the pause then doubles, and is never shorter than the last poll took,
    so that polling a 100,000-instance job is at most half of the scheduler's load.
    """
    from aurora.api.idl import api
    from aurora.api.views import TASK_STATES, tasks_without_configs

    query = api().TaskQuery(jobKeys=[thrift_key(key)],
                            instanceIds=set(instances) if instances else None)
    deadline = None if timeout is None else time.monotonic() + timeout
    interval = first_interval
    while True:     # each poll decodes only instance, status and creation time
        polled = time.monotonic()
        tasks = current_per_instance(tasks_without_configs(client, query, TASK_STATES))
        if seen is not None:
            seen.clear()
            seen.update(tasks)
        if progress is not None:
            progress.polled(tasks, states)
        if all(t.status in states for t in tasks.values()):
            return True
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            return False
        interval = min(max(interval, now - polled), max_interval)
        # never past the deadline: the last look is at it
        pause = progress.pause if progress is not None else time.sleep
        pause(interval if deadline is None else min(interval, deadline - now))
        interval = min(interval * 2, max_interval)
