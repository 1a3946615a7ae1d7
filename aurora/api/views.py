"""Slim views of one API method's reply: decode only the fields a command shows.

The binary protocol skips every field a struct does not declare, in C, without
building Python objects for it. A view is the same request and the same wire
format as the full API; only the reply structs named in `keep` are replaced by
copies declaring fewer fields (`keys_only_service` is a hand-made one). Pass a
view to `SchedulerClient.call(..., service=view)`.

Views are one of the thrift seam's tricks (`thrift_seam.py`): when the entry
point did not switch them on, every function here answers None, and a call
decodes the full reply, whose objects answer the same attribute names.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

from aurora.api.idl import MODULE_NAME, api
from aurora.api.thrift_seam import active

# `job status` text: what a task block and the table/csv rows show.
STATUS_TEXT = (
    ("Result", ("scheduleStatusResult",)),
    ("ScheduledTask", ("assignedTask", "status", "failureCount", "taskEvents")),
    ("AssignedTask", ("taskId", "slaveHost", "task", "assignedPorts", "instanceId")),
    ("TaskConfig", ("job", "resources", "maxTaskFailures", "metadata")),
    ("TaskEvent", ("timestamp", "status", "message")),
)
# Waiting for states: each task's instance, status and creation time only.
TASK_STATES = (
    ("Result", ("scheduleStatusResult",)),
    ("ScheduledTask", ("assignedTask", "status", "taskEvents")),
    ("AssignedTask", ("instanceId",)),
    ("TaskEvent", ("timestamp",)),
)

# Uptime figures (sla): ids, host, status and events.
TASK_EVENTS = (
    ("Result", ("scheduleStatusResult",)),
    ("ScheduledTask", ("assignedTask", "status", "taskEvents")),
    ("AssignedTask", ("taskId", "slaveHost", "instanceId")),
)


def tasks_without_configs(client: Any, query: Any, keep: tuple) -> list[Any]:
    """getTasksWithoutConfigs through the view `keep` (STATUS_TEXT, TASK_STATES)."""
    view = reply_view("getTasksWithoutConfigs", keep) if active("slim_views") else None
    response = client.call("getTasksWithoutConfigs", query, service=view)
    return client.result(response, "getTasksWithoutConfigs", "scheduleStatusResult").tasks or []


class _Slimmer:
    """Copies of structs keeping only the named fields, nested references remapped."""

    def __init__(self, keep: dict[str, tuple[str, ...] | None]):
        from thriftpy2.thrift import TType

        self.keep = keep
        self.made: dict[type, type] = {}
        self.containers = (TType.LIST, TType.SET)
        self.ttype = TType

    def struct(self, cls: Any) -> Any:
        if not isinstance(cls, type) or not hasattr(cls, "thrift_spec"):
            return cls          # an enum class or a plain type
        if cls in self.made:
            return self.made[cls]
        if cls.__name__ not in self.keep and not self._refers_to_kept(cls, set()):
            return cls
        copy = type(cls.__name__, (cls.__mro__[1],), {"__module__": MODULE_NAME,
                                                      "_ttype": cls._ttype})
        self.made[cls] = copy
        names = self.keep.get(cls.__name__)
        copy.thrift_spec = {fid: self.field(f) for fid, f in cls.thrift_spec.items()
                            if names is None or f[1] in names}
        kept = {f[1] for f in copy.thrift_spec.values()}
        # Defaults are class attributes, not an __init__: the decoder makes an
        # instance per struct of the reply (100,000s), and this one costs no Python
        # call. A view is only ever decoded into and read, never built by hand.
        for name, default in cls.default_spec:
            if name in kept:
                setattr(copy, name, default)
        if hasattr(cls, "oneway"):
            copy.oneway = cls.oneway
        return copy

    def _refers_to_kept(self, cls: Any, seen: set[type]) -> bool:
        if cls in seen:
            return False
        seen.add(cls)
        for field in cls.thrift_spec.values():
            for ref in self._classes(field[2:-1] if len(field) > 3 else ()):
                if ref.__name__ in self.keep or self._refers_to_kept(ref, seen):
                    return True
        return False

    def _classes(self, parts: Any) -> list[type]:
        found = []
        for part in parts:
            if isinstance(part, tuple):
                found += self._classes(part)
            elif isinstance(part, type) and hasattr(part, "thrift_spec"):
                found.append(part)
        return found

    def field(self, field: tuple) -> tuple:
        if len(field) <= 3:
            return field        # (ttype, name, required): a plain value
        ttype, name, arg, required = field
        return (ttype, name, self.arg(ttype, arg), required)

    def arg(self, ttype: int, arg: Any) -> Any:
        if ttype == self.ttype.STRUCT:
            return self.struct(arg)
        if ttype in self.containers:
            return self.element(arg)
        if ttype == self.ttype.MAP:
            return (self.element(arg[0]), self.element(arg[1]))
        return arg

    def element(self, spec: Any) -> Any:
        if isinstance(spec, tuple):
            return (spec[0], self.arg(spec[0], spec[1]))
        return spec


@cache
def reply_view(method: str, keep: tuple[tuple[str, tuple[str, ...]], ...]) -> Any:
    """A service with just `method`, whose reply declares only the `keep` fields."""
    service = api().AuroraAdmin
    result = _Slimmer(dict(keep)).struct(getattr(service, f"{method}_result"))
    return type(f"{method}View", (), {"thrift_services": [method],
                                      f"{method}_args": getattr(service, f"{method}_args"),
                                      f"{method}_result": result})


@lru_cache(maxsize=1)
def keys_only_service() -> Any:
    """A view of the API whose getJobs reply holds only each job's key and size.

    Same request and same wire format; the decoder skips every field the slim
    structs do not declare (each TaskConfig), which is most of the bytes.
    """
    if not active("slim_views"):
        return None
    from thriftpy2.thrift import TPayload, TType, gen_init

    a = api()

    def struct(name: str, spec: dict[int, tuple]) -> type:
        cls = type(name, (TPayload,), {"__module__": MODULE_NAME, "_ttype": TType.STRUCT})
        gen_init(cls, spec, [(field[1], None) for field in spec.values()])
        return cls

    job = struct("JobKeyAndSize", {9: a.JobConfiguration.thrift_spec[9],
                                   8: a.JobConfiguration.thrift_spec[8]})
    jobs = struct("GetJobKeysResult", {1: (TType.SET, "configs", (TType.STRUCT, job), False)})
    result = struct("JobKeysResult", {4: (TType.STRUCT, "getJobsResult", jobs, False)})
    spec = dict(a.Response.thrift_spec)
    spec[3] = (TType.STRUCT, "result", result, False)
    response = struct("JobKeysResponse", spec)
    reply = struct("getJobs_result", {0: (TType.STRUCT, "success", response, False)})
    reply.oneway = False
    return type("JobKeysService", (), {"thrift_services": ["getJobs"],
                                        "getJobs_args": a.AuroraAdmin.getJobs_args,
                                        "getJobs_result": reply})


def task_events_service() -> Any:
    """A view of the API whose getTasksWithoutConfigs reply holds, per task, only its
    instance id, host, task id, status and events (what uptime figures need).

    Same request and wire format; the decoder skips each task's TaskConfig, most of
    the bytes of a large job.
    """
    return reply_view("getTasksWithoutConfigs", TASK_EVENTS) if active("slim_views") else None
