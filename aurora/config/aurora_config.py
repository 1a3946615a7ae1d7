"""The config object job-file API hooks receive, shaped like upstream's AuroraConfig.

Hook code written for the upstream client calls `config.job_key()`,
`config.raw()`, `config.job()`, `config.name()` and friends; this wraps the
loaded job (`JobConfig`) with those methods. `bind`, `update_job` and
`add_metadata` work as upstream: a pre hook that changes the config changes
what is sent, because `job()` converts the changed job again.
"""

from __future__ import annotations

from typing import Any

from aurora.jobkey import JobKey


class AuroraJobKey(JobKey):
    """A job key with upstream's helper methods (`str()` is CLUSTER/ROLE/ENV/NAME)."""

    __slots__ = ()

    @classmethod
    def of(cls, key: Any) -> AuroraJobKey:
        return key if isinstance(key, cls) else cls(key.cluster, key.role, key.env, key.name)

    def to_path(self) -> str:
        return f"{self.cluster}/{self.role}/{self.env}/{self.name}"

    def to_thrift(self) -> Any:
        from aurora.api.idl import api

        return api().JobKey(role=self.role, environment=self.env, name=self.name)


class AuroraConfig:
    """One picked job: the pystachio Job (`raw()`) and its JobConfiguration (`job()`)."""

    def __init__(self, loaded: Any):
        self.path: str = loaded.path
        self.hooks: list[Any] = list(loaded.hooks)
        self._job = loaded.job
        self._thrift = loaded.thrift
        self._metadata: list[tuple[str, str]] = []
        self._changed = False

    def raw(self) -> Any:
        """The bound pystachio Job."""
        return self._job

    def job(self) -> Any:
        """The JobConfiguration to send (converted again if a hook changed the job)."""
        if self._changed:
            from aurora.config.job import convert_job

            self._thrift = convert_job(self.path, self._job)
            self._changed = False
        if self._metadata:
            from aurora.api.idl import api

            extra = {api().Metadata(key=k, value=v) for k, v in self._metadata}
            self._thrift.taskConfig.metadata = set(self._thrift.taskConfig.metadata or ()) | extra
        return self._thrift

    def bind(self, binding: Any) -> None:
        self._job = self._job.bind(binding)
        self._changed = True

    def update_job(self, new_job: Any) -> None:
        self._job = new_job
        self._changed = True

    def add_metadata(self, key: Any, value: Any) -> None:
        self._metadata.append((str(key), str(value)))

    def _text(self, name: str) -> str:
        return str(getattr(self._job, name)().interpolate()[0])

    def name(self) -> str:
        return self._text("name")

    def role(self) -> str:
        return self._text("role")

    def cluster(self) -> str:
        return self._text("cluster")

    def environment(self) -> str:
        return self._text("environment")

    def instances(self) -> int:
        return int(self._job.instances().interpolate()[0].get())

    def job_key(self) -> AuroraJobKey:
        return AuroraJobKey(self.cluster(), self.role(), self.environment(), self.name())

    def task(self, instance: int | None = None) -> Any:
        """The task as instance `instance` sees it (`{{mesos.instance}}` filled in)."""
        job = self._job.bind(mesos={"instance": instance}) if instance is not None else self._job
        return job.interpolate()[0].task()

    def ports(self) -> set[str]:
        """The named ports the scheduler is asked to assign."""
        from aurora.config.convert import requested_ports

        return requested_ports(self._job)

    def has_health_port(self) -> bool:
        from aurora.config.convert import process_ports

        return "health" in process_ports(self._job)

    def update_config(self) -> Any:
        return self._job.update_config()

    def health_check_config(self) -> Any:
        return self._job.health_check_config()

    def is_dedicated(self) -> bool:
        return bool(self._job.has_constraints() and "dedicated" in self._job.constraints().get())

    def __repr__(self) -> str:
        return f"AuroraConfig({self._job!r})"
