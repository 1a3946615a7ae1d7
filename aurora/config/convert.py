"""A validated pystachio Job → the scheduler's JobConfiguration.

Field by field as the upstream client sends it, including the executor JSON
the Thermos executor reads (the interpolated Job minus `update_config` and
`instances`, executor-side names left as `{{...}}`).
"""

from __future__ import annotations

import getpass
from typing import Any

from aurora.api.idl import api
from aurora.config.loader import ConfigError
from aurora.config.loader import field_value as _get
from aurora.config.schema import AURORA_EXECUTOR_NAME

MB = 1024 * 1024


def _unwrap(value: Any) -> Any:
    """The struct inside a pystachio Choice (or the value itself)."""
    return value.unwrap() if hasattr(value, "unwrap") else value


def _tier_flags(tier: Any) -> tuple[bool, bool]:
    settings = tier.settings or {}
    return (str(settings.get("preemptible", "false")).lower() == "true",
            str(settings.get("revocable", "false")).lower() == "true")


def backfill_tier(job: Any, tiers: Any | None) -> Any:
    """Fill `tier` from `production` or `production` from `tier` as upstream does."""
    if tiers is None:
        return job
    known = {t.name: _tier_flags(t) for t in tiers.tiers or []}
    if not job.has_tier():
        production = bool(_get(job, "production"))
        for tier in tiers.tiers or []:
            preemptible, revocable = _tier_flags(tier)
            if preemptible == (not production) and not revocable:
                return job(tier=tier.name)
        return job(tier=tiers.defaultTierName)
    name = str(_get(job, "tier"))
    if name in known:
        return job(production=not known[name][0])
    return job


def port_refs(obj: Any) -> set[str]:
    """NAME of every `{{thermos.ports[NAME]}}` left in `obj` once it is interpolated.

    Interpolating first resolves a port name that is itself a template
    (`{{thermos.ports[{{pname}}]}}` with `pname` bound), as upstream does.
    """
    return ports_in(obj.interpolate()[1])


def ports_in(refs: Any) -> set[str]:
    """NAME of every `thermos.ports[NAME]` among pystachio refs."""
    from pystachio import Ref

    scope = Ref.from_address("thermos.ports")
    names = set()
    for ref in refs:
        sub = scope.scoped_to(ref)
        if sub is not None and sub.is_index():
            names.add(str(sub.action().value))
    return names


def process_ports(job: Any) -> set[str]:
    """Ports the task's processes reference; other fields (e.g. the task name) do not count."""
    task, _ = job.task().interpolate()
    names: set[str] = set()
    for process in task.processes() if task.has_processes() else []:
        names |= port_refs(process)
    return names


def requested_ports(job: Any) -> set[str]:
    """Named ports the scheduler must assign: the announced ones and those processes use."""
    portmap: dict[str, Any] = {}
    if job.has_announce():
        for key, value in job.announce().interpolate()[0].portmap().get().items():
            portmap[str(key)] = int(value) if str(value).isdigit() else str(value)

    def resolve(name: Any) -> Any:
        seen = set()
        while isinstance(name, str) and name in portmap:
            if name in seen:
                raise ConfigError("Found cycle in portmap!", hint="check announce portmap")
            seen.add(name)
            name = portmap[name]
        return name

    ports = {resolve(v) for v in portmap.values()}
    ports |= {resolve(n) for n in process_ports(job)}
    return {p for p in ports if isinstance(p, str)}


def executor_data(job: Any) -> str:
    """The JSON the Thermos executor rebuilds the task from, byte for byte as upstream's
    Python 2 client wrote it (`py2order`): the scheduler compares it to decide what an
    update replaces."""
    from aurora.config.py2order import executor_data as upstream_bytes

    return upstream_bytes(job)


def _constraint(a: Any, name: str, spec: str) -> Any:
    if spec.startswith("limit:"):
        try:
            limit = int(spec[len("limit:"):])
        except ValueError:
            raise ConfigError(f"constraint {name}: {spec[6:]!r} is not a valid limit value, "
                              "must be integer") from None
        return a.Constraint(name=name, constraint=a.TaskConstraint(
            limit=a.LimitConstraint(limit=limit)))
    negated = spec.startswith("!")
    values = set((spec[1:] if negated else spec).split(","))
    return a.Constraint(name=name, constraint=a.TaskConstraint(
        value=a.ValueConstraint(negated=negated, values=values)))


def _container(a: Any, job: Any) -> Any:
    if not job.has_container():
        return a.Container(mesos=a.MesosContainer())
    from aurora.config.schema import Container, Docker, Mesos

    value = _unwrap(job.container().interpolate()[0])
    if isinstance(value, Container):
        if not value.has_docker():
            raise ConfigError("If a container is specified it must set one type.")
        value = value.docker()
    if isinstance(value, Docker):
        params = [a.DockerParameter(name=str(_get(p, "name")), value=str(_get(p, "value")))
                  for p in value.parameters()]
        return a.Container(docker=a.DockerContainer(image=str(_get(value, "image")),
                                                    parameters=params))
    if isinstance(value, Mesos):
        image = None
        if value.has_image():
            img = _unwrap(value.image())
            if img.__class__.__name__ == "DockerImage":
                image = a.Image(docker=a.DockerImage(name=str(_get(img, "name")),
                                                     tag=str(_get(img, "tag"))))
            else:
                image = a.Image(appc=a.AppcImage(name=str(_get(img, "name")),
                                                 imageId=str(_get(img, "image_id"))))
        volumes = [a.Volume(containerPath=str(_get(v, "container_path")),
                            hostPath=str(_get(v, "host_path")),
                            mode=getattr(a.Mode, str(_get(v, "mode"))))
                   for v in value.volumes()]
        return a.Container(mesos=a.MesosContainer(image=image, volumes=volumes))
    raise ConfigError("If a container is specified it must set one type.")


def _sla_policy(a: Any, job: Any) -> Any:
    if not job.has_sla_policy():
        return None
    policy = _unwrap(job.sla_policy().interpolate()[0])
    kind = policy.__class__.__name__
    if kind == "PercentageSlaPolicy":
        return a.SlaPolicy(percentageSlaPolicy=a.PercentageSlaPolicy(
            percentage=float(_get(policy, "percentage")),
            durationSecs=int(_get(policy, "duration_secs"))))
    if kind == "CountSlaPolicy":
        return a.SlaPolicy(countSlaPolicy=a.CountSlaPolicy(
            count=int(_get(policy, "count")), durationSecs=int(_get(policy, "duration_secs"))))
    return a.SlaPolicy(coordinatorSlaPolicy=a.CoordinatorSlaPolicy(
        coordinatorUrl=str(_get(policy, "coordinator_url")),
        statusKey=str(_get(policy, "status_key"))))


def to_thrift(job: Any, owner: str | None = None) -> Any:
    """Convert a picked, bound, validated Job into a JobConfiguration."""
    a = api()
    ports = requested_ports(job)
    job, _ = job.interpolate()
    key = a.JobKey(role=str(_get(job, "role")), environment=str(_get(job, "environment")),
                   name=str(_get(job, "name")))
    identity = a.Identity(user=owner or getpass.getuser())
    res = job.task().resources()
    resources = {a.Resource(numCpus=float(_get(res, "cpu"))),
                 a.Resource(ramMb=int(_get(res, "ram")) // MB),
                 a.Resource(diskMb=int(_get(res, "disk")) // MB)}
    if int(_get(res, "gpu")):
        resources.add(a.Resource(numGpus=int(_get(res, "gpu"))))
    resources |= {a.Resource(namedPort=p) for p in sorted(ports)}
    executor = job.executor_config()
    if str(_get(executor, "name")) == AURORA_EXECUTOR_NAME:
        executor_config = a.ExecutorConfig(name=AURORA_EXECUTOR_NAME, data=executor_data(job))
    else:
        executor_config = a.ExecutorConfig(name=str(_get(executor, "name")),
                                           data=str(_get(executor, "data")))
    constraints = {_constraint(a, str(k), str(v))
                   for k, v in (job.constraints().get().items() if job.has_constraints()
                                else [])}
    metadata = {a.Metadata(key=str(_get(m, "key")), value=str(_get(m, "value")))
                for m in job.metadata()}
    partition = None
    if job.has_partition_policy():
        pp = job.partition_policy()
        partition = a.PartitionPolicy(reschedule=bool(_get(pp, "reschedule")),
                                      delaySecs=int(_get(pp, "delay_secs")))
    task = a.TaskConfig(
        job=key, owner=identity, isService=bool(_get(job, "service")),
        priority=int(_get(job, "priority")), maxTaskFailures=int(_get(job, "max_task_failures")),
        production=bool(_get(job, "production")),
        tier=str(_get(job, "tier")) if job.has_tier() else None,
        resources=resources, constraints=constraints, taskLinks={},
        contactEmail=str(_get(job, "contact")) if job.has_contact() else None,
        executorConfig=executor_config, metadata=metadata, partitionPolicy=partition,
        slaPolicy=_sla_policy(a, job), container=_container(a, job))
    policy = str(_get(job, "cron_collision_policy")).upper()
    return a.JobConfiguration(
        key=key, owner=identity, taskConfig=task, instanceCount=int(_get(job, "instances")),
        cronSchedule=str(_get(job, "cron_schedule")) if job.has_cron_schedule() else None,
        cronCollisionPolicy=getattr(a.CronCollisionPolicy, policy))
