"""What several nouns need about jobs: config loading, task queries, waits, URLs, JSON.

One place for each: `load_config` (job file → JobConfiguration, with the
cluster's tiers), `active_tasks`, `wait_for` (poll until instances reach a
state), `job_url`, and `thrift_json` (thrift → plain JSON like thrift's simple
JSON protocol).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from aurora.errors import InvalidParameter
from aurora.jobkey import JobKey

if TYPE_CHECKING:
    from aurora.api.client import SchedulerClient
    from aurora.command import Context
    from aurora.config.aurora_config import AuroraConfig
    from aurora.config.job import JobConfig


def thrift_key(key: JobKey) -> Any:
    from aurora.api.idl import api

    return api().JobKey(role=key.role, environment=key.env, name=key.name)


def hooks_config(context: Context, key: JobKey) -> AuroraConfig | None:
    """The job file given with `--config` (read only for its API hooks), or None."""
    from aurora.job_file_hooks import hook_view

    o = context.options
    if not o.config:
        return None
    return hook_view(load_config(context, key, o.config, o.bindings, o.read_json))


def load_config(context: Context, key: JobKey, path: str, bindings: list[str] | None = None,
                read_json: bool = False) -> JobConfig:
    """Load `path` for `key`: the scheduler's tiers fill tier/production. Loaded once
    per run (a policy reading `context.config` and the verb share the result)."""
    from aurora.config.job import load_job

    def load() -> JobConfig:
        registry = context.get_cluster(key.cluster).get("docker_registry")
        return load_job(path, key, bindings, read_json,
                        lambda: context.scheduler(key.cluster).get_tier_configs(),
                        warn=lambda message: context.print_stderr(f"aurora: warning: {message}"),
                        docker_registry=registry)
    return context.service("job file", repr((key, path, bindings, read_json)), load)


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


def wait_for(client: SchedulerClient, key: JobKey, instances: Iterable[int] | None,
             states: frozenset[int], timeout: float | None = None,
             first_interval: float = 0.1, max_interval: float = 5.0,
             seen: dict[int, Any] | None = None) -> bool:
    """Poll until every instance's current task is in `states`; False on timeout.
    `seen`, when given, receives the last poll's task per instance (no second read).

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
        if all(t.status in states for t in tasks.values()):
            return True
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            return False
        interval = min(max(interval, now - polled), max_interval)
        # never past the deadline: the last look is at it
        time.sleep(interval if deadline is None else min(interval, deadline - now))
        interval = min(interval * 2, max_interval)


def display_url(context: Context, cluster_name: str) -> str:
    """The scheduler's web address: `proxy_url` when set, else the API endpoint's base."""
    from aurora.api.transport import without_userinfo

    cluster = context.get_cluster(cluster_name)
    return without_userinfo(cluster.get("proxy_url") or context.endpoints.get(cluster))


def job_page(context: Context, key: JobKey) -> str:
    """The web page of one job."""
    return job_url(context, key.cluster, key.role, key.env, key.name)


def job_url(context: Context, cluster: str, *parts: str | None) -> str:
    """`<base>/scheduler/role/env/name`; keeps a base path, which upstream loses."""
    base = display_url(context, cluster)
    path = "/".join(p for p in parts if p)
    return urljoin(base if base.endswith("/") else base + "/", "scheduler") + (
        f"/{path}" if path else "")


def open_in_browser(url: str) -> bool:
    """Open `url` in a new browser tab when a browser is available; True when opened."""
    import webbrowser

    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return bool(webbrowser.open_new_tab(url))


def thrift_json(obj: Any, known: dict[int, Any] | None = None) -> Any:
    """Thrift → JSON-ready values: field names as keys, unset fields left out.

    `known` maps id(struct) → its JSON already built, for structs that many values
    share (the configuration of a job's tasks): they are converted once.
    """
    from thriftpy2.thrift import TPayload

    return _JsonBuilder(TPayload, known or {}).convert(obj)


class _JsonBuilder:
    """Dispatches on the exact type first: 10,000 tasks are a million values."""

    PLAIN = frozenset({str, int, float, type(None)})

    def __init__(self, payload_type: type, known: dict[int, Any]):
        self.payload_type = payload_type
        self.known = known
        self.fields: dict[type, list[str]] = {}

    def convert(self, obj: Any) -> Any:
        kind = type(obj)
        if kind in self.PLAIN:
            return obj
        if kind is list or kind is tuple:
            return [self.convert(v) for v in obj]
        if isinstance(obj, self.payload_type):
            return self.struct(obj, kind)
        if isinstance(obj, (set, frozenset)):
            return sorted((self.convert(v) for v in obj), key=repr)
        if isinstance(obj, (list, tuple)):
            return [self.convert(v) for v in obj]
        if isinstance(obj, dict):
            return {str(k): self.convert(v) for k, v in obj.items()}
        if isinstance(obj, bool):
            return int(obj)
        return obj

    def struct(self, obj: Any, kind: type) -> dict[str, Any]:
        done = self.known.get(id(obj))
        if done is not None:
            return done
        names = self.fields.get(kind)
        if names is None:
            names = self.fields[kind] = [spec[1] for spec in obj.thrift_spec.values()]
        out = {}
        plain = self.PLAIN
        for name in names:
            value = getattr(obj, name)
            if value is not None:
                out[name] = value if type(value) in plain else self.convert(value)
        return out


def tidy_number(value: Any) -> Any:
    """A float as people write it (0.3, not 0.30000000000000004); other values unchanged."""
    return round(value, 6) if isinstance(value, float) else value
