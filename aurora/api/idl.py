"""The scheduler's thrift types, loaded once from our IDL and cached.

Loading costs tens of milliseconds, so it happens on first use, never on the
help or version paths. Enums are ints on the wire and in these objects; the
helpers here give them names.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from aurora.api import lazy_thriftpy2

lazy_thriftpy2.install()

IDL_FILE = os.path.join(os.path.dirname(__file__), "aurora_api.thrift")
MODULE_NAME = "aurora_api_thrift"


@lru_cache(maxsize=1)
def api() -> Any:
    """The loaded thriftpy2 module with every struct, enum, constant and service."""
    from aurora.api.idl_cache import load_cached

    return load_cached(IDL_FILE, MODULE_NAME)


@lru_cache(maxsize=1)
def status_names() -> dict[int, str]:
    """ScheduleStatus value -> name, for loops over many tasks (see status_name)."""
    return api().ScheduleStatus._VALUES_TO_NAMES


def status_name(value: int) -> str:
    name = status_names().get(value)    # called per task and per event: keep it short
    return name if name is not None else str(value)


def response_code_name(value: int) -> str:
    return api().ResponseCode._VALUES_TO_NAMES.get(value, str(value))


def serialize(obj: Any) -> bytes:
    from thriftpy2.protocol import TBinaryProtocolFactory
    from thriftpy2.utils import serialize as _serialize

    return _serialize(obj, TBinaryProtocolFactory())


def deserialize(cls: type, data: bytes) -> Any:
    from thriftpy2.protocol import TBinaryProtocolFactory
    from thriftpy2.utils import deserialize as _deserialize

    return _deserialize(cls(), data, TBinaryProtocolFactory())


def canonical(obj: Any) -> Any:
    """A comparable, hashable form of a thrift value: set members sorted.

    Sets arrive in wire order, which differs between senders; two configs are
    the same when their canonical forms are equal.
    """
    from thriftpy2.thrift import TPayload, TType

    if isinstance(obj, TPayload):
        fields = []
        for spec in obj.thrift_spec.values():
            value = getattr(obj, spec[1])
            if value is None:
                continue
            if spec[0] == TType.SET:
                value = tuple(sorted((canonical(v) for v in value), key=repr))
            fields.append((spec[1], canonical(value)))
        return tuple(fields)
    if isinstance(obj, (list, tuple)):
        return tuple(canonical(v) for v in obj)
    if isinstance(obj, (set, frozenset)):
        return tuple(sorted((canonical(v) for v in obj), key=repr))
    if isinstance(obj, dict):
        return tuple(sorted((k, canonical(v)) for k, v in obj.items()))
    return obj


@lru_cache(maxsize=1)
def keys_only_service() -> Any:
    """A view of the API whose getJobs reply holds only each job's key and size.

    Same request and same wire format; the decoder skips every field the slim
    structs do not declare (each TaskConfig), which is most of the bytes.
    """
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
    the bytes of a large job (see `aurora.api.views`).
    """
    from aurora.api.views import TASK_EVENTS, reply_view

    return reply_view("getTasksWithoutConfigs", TASK_EVENTS)
