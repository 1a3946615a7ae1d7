"""Build thrift job configurations directly, as the config loader would, for API tests."""

from __future__ import annotations

import json
from typing import Any

from aurora.api.idl import api, status_name


def process(name: str, cmdline: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "cmdline": cmdline, "max_failures": 1, "daemon": False,
            "ephemeral": False, "min_duration": 5, "final": False, **extra}


def job(name: str, processes: list[dict[str, Any]], instances: int = 1, service: bool = False,
        role: str = "www-data", env: str = "test", order: list[str] | None = None,
        ports: tuple[str, ...] = (), max_task_failures: int = 1, production: bool = False,
        task_max_failures: int = 1, cron: str | None = None, **task_extra: Any) -> Any:
    a = api()
    key = a.JobKey(role=role, environment=env, name=name)
    owner = a.Identity(user="tester")
    data = {"name": name, "role": role, "environment": env, "cluster": "devcluster",
            "service": service, "task": {
                "name": name, "processes": processes, "max_failures": task_max_failures,
                "max_concurrency": 0, "finalization_wait": 30,
                "constraints": [{"order": order}] if order else [],
                "resources": {"cpu": 0.1, "ram": 16 << 20, "disk": 16 << 20, "gpu": 0},
                **task_extra}}
    resources = {a.Resource(numCpus=0.1), a.Resource(ramMb=16), a.Resource(diskMb=16)}
    resources |= {a.Resource(namedPort=p) for p in ports}
    task = a.TaskConfig(job=key, owner=owner, isService=service, priority=0,
                        maxTaskFailures=max_task_failures, production=production,
                        resources=resources, constraints=set(), taskLinks={}, metadata=set(),
                        executorConfig=a.ExecutorConfig(name="AuroraExecutor",
                                                        data=json.dumps(data)),
                        container=a.Container(mesos=a.MesosContainer()))
    return a.JobConfiguration(key=key, owner=owner, taskConfig=task, instanceCount=instances,
                              cronSchedule=cron, cronCollisionPolicy=0)


def tasks_of(client: Any, config: Any, active_only: bool = False) -> list[Any]:
    a = api()
    query = a.TaskQuery(jobKeys=[config.key],
                        statuses=set(a.ACTIVE_STATES) if active_only else None)
    return sorted(client.get_tasks_without_configs(query),
                  key=lambda t: (t.assignedTask.instanceId, t.taskEvents[0].timestamp))


def statuses(client: Any, config: Any, active_only: bool = False) -> list[str]:
    return [status_name(t.status) for t in tasks_of(client, config, active_only)]
