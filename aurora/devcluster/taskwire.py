"""Replies to getTasksStatus and getTasksWithoutConfigs written straight from the
store's rows as thrift binary: the same bytes the generic encoder writes for the
Response the handler would build, without building 10,000 ScheduledTask objects.
getJobs replies are written a piece at a time by the generic encoder. Every
large reply stays in pieces of about a megabyte, never joined (see
`scheduled_tasks`).

A job's TaskConfig is the same for all its instances, so each distinct config is
encoded once per reply and its bytes repeated; so are events shared by many
tasks. Nothing is kept between replies. Field order and types follow the IDL
(`tests/unit/test_taskwire.py` checks the bytes against the generic encoder).
"""

from __future__ import annotations

import copy
import json
import struct
from collections.abc import Iterable
from typing import Any

from aurora.api import wirecheck
from aurora.api.idl import api, serialize
from aurora.devcluster.layout import agent_id

TASK_METHODS = frozenset({"getTasksStatus", "getTasksWithoutConfigs"})
METHODS = TASK_METHODS | {"getJobs"}
# The columns of a task row, in the order `scheduled_tasks` unpacks them.
COLUMNS = ("task_id, instance, status, failure_count, ancestor, host, ports, config_hash, "
           "event_count, events")

_I32 = struct.Struct(">i").pack
_FIELD_I32 = struct.Struct(">bhi").pack          # field header and an i32 value
_EVENT_HEAD = struct.Struct(">bhqbhi").pack      # timestamp (i64) and status (i32)
_LIST_HEAD = struct.Struct(">bhbi").pack         # field header, element type, size
_MAP_HEAD = struct.Struct(">bhbbi").pack         # field header, key/value types, size
STOP = b"\x00"
T_BOOL, T_I32, T_I64, T_STRING, T_STRUCT, T_MAP, T_SET, T_LIST = 2, 8, 10, 11, 12, 13, 14, 15


def _string_field(fid: int, text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack(">bhi", T_STRING, fid, len(data)) + data


def encoded_event(event: tuple[int, int, str | None]) -> bytes:
    """A TaskEvent (timestamp, status, message) as a reply carries it (with the
    scheduler's name); the store keeps each task's events so encoded."""
    ts, status, message = event
    head = _EVENT_HEAD(T_I64, 1, ts, T_I32, 2, status)
    text = b"" if message is None else _string_field(3, message)
    return head + text + _SCHEDULER + STOP


_SCHEDULER = _string_field(4, "devcluster")


def _ports(text: str) -> bytes:
    """The assignedPorts field from the ports column (a JSON object)."""
    ports = json.loads(text)
    parts = [_MAP_HEAD(T_MAP, 5, T_STRING, T_I32, len(ports))]
    for name, port in ports.items():
        data = name.encode("utf-8")
        parts += [_I32(len(data)), data, _I32(port)]
    return b"".join(parts)


def _host(host: str | None) -> bytes:
    """slaveId and slaveHost (both absent for a task not placed yet)."""
    if host is None:
        return b""
    return _string_field(2, host and agent_id(host)) + _string_field(3, host)


class _Memo(dict):
    """Encoded bytes of a value, made on first use (`make`) and then repeated."""

    def __init__(self, make: Any):
        super().__init__()
        self.make = make

    def __missing__(self, key: Any) -> bytes:
        value = self[key] = self.make(key)
        return value


TASKS_PER_PIECE = 2048      # about a megabyte of encoded tasks without configs


def scheduled_tasks(rows: Iterable[tuple], config: Any) -> tuple[int, list[bytes]]:
    """(count, pieces of bytes) of the ScheduledTasks of `rows` (tuples of COLUMNS):
    `config(hash)` is the encoded TaskConfig of a hash. A piece holds TASKS_PER_PIECE
    tasks, and the pieces are written as they are, never joined: a 100,000-task reply
    is 60 MB, and a block that large is mapped afresh by the allocator, a page fault
    per 4 KB, where a megabyte is reused."""
    configs = _Memo(lambda digest: _FIELD_HEAD_TASK + config(digest))
    ports = _Memo(_ports)
    hosts = _Memo(_host)
    pieces: list[bytes] = []
    parts: list[bytes] = []
    add = parts.append
    count = 0
    for (task_id, instance, status, failures, ancestor, host, port_text, digest,
         event_count, events) in rows:
        count += 1
        data = task_id.encode("utf-8")
        add(_TASK_ID(T_STRUCT, 1, T_STRING, 1, len(data)) + data + hosts[host]
            + configs[digest] + ports[port_text]
            + _TAIL(T_I32, 6, instance, 0, T_I32, 2, status, T_I32, 3, failures,
                    T_I32, 6, 0, T_LIST, 4, T_STRUCT, event_count))
        add(events)
        add(STOP if ancestor is None else _string_field(5, ancestor) + STOP)
        if count % TASKS_PER_PIECE == 0:
            pieces.append(b"".join(parts))
            parts.clear()
    pieces.append(b"".join(parts))
    return count, pieces


_FIELD_HEAD_TASK = struct.pack(">bh", T_STRUCT, 4)
# assignedTask's field header, then its taskId's header and length
_TASK_ID = struct.Struct(">bhbhi").pack
# instanceId, the end of assignedTask, status, failureCount, timesPartitioned and
# the head of the taskEvents list
_TAIL = struct.Struct(">bhibbhibhibhibhbi").pack


def config_bytes(store: Any, with_configs: bool) -> Any:
    """A function: config hash -> the encoded TaskConfig as a reply carries it."""
    def encoded(digest: str) -> bytes:
        config = store.config(digest)
        if not with_configs:
            config = copy.copy(config)
            config.executorConfig = None
        return serialize(config)
    return encoded


def response(code: int, cluster_name: str, count: int, elements: list[bytes],
             result_field: int = 3, container: int = T_LIST) -> list[bytes]:
    """The pieces of a Response whose result holds one collection of `count` encoded
    structs (pieces `elements`), no details: by default a ScheduleStatusResult's tasks
    (Result field 3); getJobs: GetJobsResult's configs (field 4, a set)."""
    server_info = serialize(api().ServerInfo(clusterName=cluster_name, statsUrlPrefix=""))
    return [_FIELD_I32(T_I32, 1, code),
            struct.pack(">bh", T_STRUCT, 5), server_info,
            struct.pack(">bhbh", T_STRUCT, 3, T_STRUCT, result_field),
            _LIST_HEAD(container, 1, T_STRUCT, count), *elements, STOP, STOP,
            _LIST_HEAD(T_LIST, 6, T_STRUCT, 0), STOP]


def struct_pieces(values: Iterable[Any]) -> list[bytes]:
    """Thrift structs written one after another by the generic encoder, in pieces of
    TASKS_PER_PIECE values: one buffer growing to 60 MB would be mapped afresh at
    each doubling (see `scheduled_tasks`)."""
    from thriftpy2.protocol import TCyBinaryProtocol
    from thriftpy2.transport import TCyMemoryBuffer

    out = TCyMemoryBuffer()
    protocol = TCyBinaryProtocol(out)
    pieces = []
    for count, value in enumerate(values, 1):
        value.write(protocol)
        if count % TASKS_PER_PIECE == 0:
            pieces.append(out.getvalue())
            out.clean()
    pieces.append(out.getvalue())
    return pieces


def reply(handler: Any, body: bytes) -> list[bytes] | None:
    """The reply message to a task query in `body`, in pieces to be written one after
    the other (one piece when small); None when `body` is some other call (or anything
    goes wrong: the generic path then answers, errors included)."""
    from thriftpy2.protocol import TCyBinaryProtocol
    from thriftpy2.thrift import TMessageType
    from thriftpy2.transport import TCyMemoryBuffer

    try:
        protocol = TCyBinaryProtocol(wirecheck.reader(body))
        name, kind, seqid = protocol.read_message_begin()
        if name not in METHODS or kind != TMessageType.CALL:
            return None
        args = getattr(api().AuroraAdmin, f"{name}_args")()
        args.read(protocol)
        encoded = handler.encoded_jobs(args.ownerRole) if name == "getJobs" else \
            handler.encoded_tasks(args.query, name == "getTasksStatus")
    except Exception:  # noqa: BLE001 - the generic path reports it properly
        return None
    if encoded is None:
        return None
    head = TCyMemoryBuffer()
    TCyBinaryProtocol(head).write_message_begin(name, TMessageType.REPLY, seqid)
    head.write(struct.pack(">bh", T_STRUCT, 0))      # <method>_result.success
    pieces = [head.getvalue(), *encoded, STOP]
    return pieces if size_of(pieces) > JOINED_AT_MOST else [b"".join(pieces)]


JOINED_AT_MOST = 1 << 20     # a reply this small is written in one piece


def size_of(pieces: list[bytes]) -> int:
    """The length of a reply in pieces, as one Content-Length counts it."""
    return sum(map(len, pieces))
