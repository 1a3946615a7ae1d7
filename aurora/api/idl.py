"""The scheduler's thrift types, loaded once from our IDL and cached.

Loaded on first use, never on the help or version paths, through the thrift
seam (`thrift_seam.py`: from a snapshot when the entry point switched that on).
Enums are ints on the wire and in these objects; the helpers here give them names.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

IDL_FILE = os.path.join(os.path.dirname(__file__), "aurora_api.thrift")
MODULE_NAME = "aurora_api_thrift"


@lru_cache(maxsize=1)
def api() -> Any:
    """The loaded thriftpy2 module with every struct, enum, constant and service."""
    from aurora.api.thrift_seam import load_api

    return load_api(IDL_FILE, MODULE_NAME)


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
