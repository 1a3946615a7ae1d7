"""The executor data exactly as upstream's Python 2 client wrote it, key order included.

The scheduler compares a running instance's TaskConfig with an update's by plain
equality, the executor data string included: a key order of our own would make
the first update after switching clients replace every instance. Upstream wrote
`json.dumps` of pystachio's `get()` under CPython 2.7, whose dicts iterate in
slot order: a deterministic function of the keys' hashes, the table's size and
the insertion history. This module computes that order, so the bytes match.

The path under Python 2.7 (pystachio 0.8.5, as Aurora 0.22 pinned it):

* a `Struct` subclass's class body is a fresh dict filled by the body in source
  order, after `__module__` (and `__doc__` when the class has a docstring); the
  metaclass turns its items, in that dict's order, into `TYPEMAP` with `dict()`;
* an instance's `_schema_data` is built from `TYPEMAP.items()`; `get()` builds a
  new dict from `_schema_data.items()`, leaving out fields that are Empty;
* a `Map` copies the dict it is given (`dict.copy()`: a merge into an empty dict,
  which sizes its table from the other's count), keeps the copy's pairs in
  iteration order, and `get()` builds a new dict from them;
* `json.dumps` iterates every dict in slot order; its separators, escaping and
  number formats are those of Python 3's `json.dumps` with default arguments.

Upstream's class bodies are recorded in `SCHEMAS`, one layout per upstream schema
version (names in source order, and whether the class has a docstring), so our
schema's own layout does not matter here. An older layout also leaves out the
fields its version did not have yet: the order and content of that version's
executor data.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

_MASK = (1 << 64) - 1
_MINSIZE = 8
_PERTURB_SHIFT = 5

# Aurora 0.22's schema (apache/thermos/config/schema_base.py and
# apache/aurora/config/schema/base.py): each Struct's class-body names in source
# order, and whether the class has a docstring (none of them does).
UPSTREAM_CLASS_BODIES: dict[str, tuple[bool, tuple[str, ...]]] = {
    "ThermosContext": (False, ("ports", "task_id", "user")),
    "Resources": (False, ("cpu", "ram", "disk", "gpu")),
    "Constraint": (False, ("order",)),
    "RotatePolicy": (False, ("log_size", "backups")),
    "Logger": (False, ("destination", "mode", "rotate")),
    "Process": (False, ("cmdline", "name", "resources", "max_failures", "daemon", "ephemeral",
                        "min_duration", "final", "logger")),
    "Task": (False, ("name", "processes", "constraints", "resources", "max_failures",
                     "max_concurrency", "finalization_wait", "user")),
    "MesosContext": (False, ("instance", "hostname")),
    "QueueUpdateStrategy": (False, ("batch_size",)),
    "BatchUpdateStrategy": (False, ("batch_size", "autopause_after_batch")),
    "VariableBatchUpdateStrategy": (False, ("batch_sizes", "autopause_after_batch")),
    "UpdateConfig": (False, ("batch_size", "watch_secs", "max_per_shard_failures",
                             "max_total_failures", "rollback_on_failure",
                             "wait_for_batch_completion", "pulse_interval_secs", "sla_aware",
                             "update_strategy")),
    "HttpHealthChecker": (False, ("endpoint", "expected_response", "expected_response_code")),
    "ShellHealthChecker": (False, ("shell_command",)),
    "HealthCheckerConfig": (False, ("http", "shell")),
    "HealthCheckConfig": (False, ("health_checker", "initial_interval_secs", "interval_secs",
                                  "max_consecutive_failures", "min_consecutive_successes",
                                  "timeout_secs")),
    "HttpLifecycleConfig": (False, ("port", "graceful_shutdown_endpoint", "shutdown_endpoint",
                                    "graceful_shutdown_wait_secs", "shutdown_wait_secs")),
    "LifecycleConfig": (False, ("http",)),
    "Announcer": (False, ("primary_port", "portmap", "zk_path")),
    "MesosTaskInstance": (False, ("task", "instance", "role", "announce", "environment",
                                  "health_check_config", "lifecycle")),
    "Parameter": (False, ("name", "value")),
    "Docker": (False, ("image", "parameters")),
    "AppcImage": (False, ("name", "image_id")),
    "DockerImage": (False, ("name", "tag")),
    "Volume": (False, ("container_path", "host_path", "mode")),
    "Mesos": (False, ("image", "volumes")),
    "Container": (False, ("docker",)),
    "PartitionPolicy": (False, ("reschedule", "delay_secs")),
    "Metadata": (False, ("key", "value")),
    "ExecutorConfig": (False, ("name", "data")),
    "PercentageSlaPolicy": (False, ("percentage", "duration_secs")),
    "CountSlaPolicy": (False, ("count", "duration_secs")),
    "CoordinatorSlaPolicy": (False, ("coordinator_url", "status_key")),
    "MesosJob": (False, ("name", "role", "contact", "cluster", "environment", "instances",
                         "task", "announce", "tier", "cron_schedule", "cron_collision_policy",
                         "update_config", "constraints", "metadata", "service",
                         "max_task_failures", "production", "priority", "health_check_config",
                         "lifecycle", "task_links", "executor_config", "enable_hooks",
                         "partition_policy", "sla_policy", "container")),
}


def _before_gpu() -> dict[str, tuple[bool, tuple[str, ...]]]:
    """The layout just before upstream's commit edd47d08f (May 2016) added `gpu`: the
    schema that wrote the executor data recorded in upstream's webhooks document."""
    bodies = dict(UPSTREAM_CLASS_BODIES)
    for name in ("QueueUpdateStrategy", "BatchUpdateStrategy", "VariableBatchUpdateStrategy",
                 "Volume", "PartitionPolicy", "Metadata", "ExecutorConfig",
                 "PercentageSlaPolicy", "CountSlaPolicy", "CoordinatorSlaPolicy"):
        del bodies[name]
    dropped = {"gpu", "sla_aware", "update_strategy", "min_consecutive_successes",
               "graceful_shutdown_wait_secs", "shutdown_wait_secs", "volumes", "metadata",
               "executor_config", "partition_policy", "sla_policy"}
    return {name: (doc, tuple(f for f in body if f not in dropped))
            for name, (doc, body) in bodies.items()}


# Upstream schema versions by name: "0.22" (the default) and "2016-05" (before gpu).
SCHEMAS: dict[str, dict[str, tuple[bool, tuple[str, ...]]]] = {
    "0.22": UPSTREAM_CLASS_BODIES, "2016-05": _before_gpu()}

ALIASED_FIELDS = ("update_config", "instances")    # left out of the executor data


def py2_hash(key: str) -> int:
    """CPython 2.7's hash of a str (64-bit build, no -R): what places it in a dict."""
    data = key.encode("utf-8")
    if not data:
        return 0
    x = (data[0] << 7) & _MASK
    for byte in data:
        x = ((1000003 * x) & _MASK) ^ byte
    x ^= len(data)
    if x >= 1 << 63:
        x -= 1 << 64
    return -2 if x == -1 else x


def _signed(x: int) -> int:
    x &= _MASK
    return x - (1 << 64) if x >= 1 << 63 else x


def py2_value_hash(value: Any) -> int:
    """CPython 2.7's hash of plain data as pystachio's `get()` returns it: strings,
    numbers, tuples (lists), and frozendicts (hashed as their sorted items)."""
    if isinstance(value, str):
        return py2_hash(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return _int_hash(value)
    if isinstance(value, float):
        return _float_hash(value)
    if isinstance(value, dict):
        return py2_value_hash(tuple((k, value[k]) for k in sorted(value)))
    if isinstance(value, (tuple, list)):
        return _tuple_hash([py2_value_hash(v) for v in value])
    raise TypeError(f"no Python 2 hash for {type(value).__name__}")


def _int_hash(value: int) -> int:
    if -(1 << 63) <= value < 1 << 63:
        return -2 if value == -1 else value
    digits, rest = [], abs(value)           # a long: 30-bit digits, rotated in
    while rest:
        digits.append(rest & ((1 << 30) - 1))
        rest >>= 30
    x = 0
    for digit in reversed(digits):
        x = ((x << 30) | (x >> 34)) & _MASK
        x = (x + digit) & _MASK
        if x < digit:
            x += 1
    x = _signed(x if value > 0 else -x)
    return -2 if x == -1 else x


def _float_hash(value: float) -> int:
    import math

    if value.is_integer():
        return _int_hash(int(value))
    mantissa, exponent = math.frexp(value)
    mantissa *= 2147483648.0
    high = int(mantissa)
    mantissa = (mantissa - high) * 2147483648.0
    x = _signed(high + int(mantissa) + (exponent << 15))
    return -2 if x == -1 else x


def _tuple_hash(hashes: list[int]) -> int:
    x, mult = 0x345678, 1000003
    for left, item in zip(range(len(hashes) - 1, -1, -1), hashes, strict=True):
        x = _signed((x ^ item) * mult)
        mult = _signed(mult + 82520 + left + left)
    x = _signed(x + 97531)
    return -2 if x == -1 else x


def set_order(items: list[Any]) -> list[Any]:
    """`list(set(items))` under Python 2.7, for distinct pystachio values (hashed, as
    pystachio hashes them, by their interpolated plain data)."""
    table = Py2Dict()
    for index, item in enumerate(items):
        table.insert(index, py2_value_hash(item.interpolate()[0].get()))
    return [items[i] for i in table.order()]


class Py2Dict:
    """The slot table of a CPython 2.7 dict (or set: same probing and growth) of distinct
    keys, none ever deleted."""

    def __init__(self, size: int = _MINSIZE):
        self.slots: list[Any] = [None] * size
        self.hashes: dict[Any, int] = {}
        self.used = 0

    def _place(self, key: Any) -> None:
        """lookdict's probe sequence, down to the first empty slot (insertdict_clean)."""
        mask = len(self.slots) - 1
        hashed = self.hashes[key] & _MASK
        i = hashed & mask
        perturb = hashed
        while self.slots[i & mask] is not None:
            i = ((i << 2) + i + perturb + 1) & _MASK
            perturb >>= _PERTURB_SHIFT
        self.slots[i & mask] = key

    def _resize(self, minused: int) -> None:
        size = _MINSIZE
        while size <= minused:
            size <<= 1
        old = [k for k in self.slots if k is not None]
        self.slots = [None] * size
        for key in old:
            self._place(key)

    def insert(self, key: Any, hashed: int | None = None) -> None:
        """PyDict_SetItem of a new key: place it, then grow when two thirds are full."""
        self.hashes[key] = py2_hash(key) if hashed is None else hashed
        self._place(key)
        self.used += 1
        if self.used * 3 >= len(self.slots) * 2:
            self._resize((2 if self.used > 50000 else 4) * self.used)

    def copy(self) -> Py2Dict:
        """dict.copy(): a merge into an empty dict (sized for the other first)."""
        other = Py2Dict()
        other.hashes = dict(self.hashes)
        if self.used * 3 >= _MINSIZE * 2:
            other._resize(self.used * 2)
        for key in self.order():
            other._place(key)
            other.used += 1
        return other

    def order(self) -> list[str]:
        """Iteration order: slot order."""
        return [k for k in self.slots if k is not None]


def inserted(keys: list[str]) -> Py2Dict:
    """A new dict filled one key at a time (dict(pairs), a class body)."""
    table = Py2Dict()
    for key in keys:
        table.insert(key)
    return table


def literal(keys: list[str]) -> Py2Dict:
    """A dict display `{k: v, ...}`: BUILD_MAP sizes the new table for more than five
    entries up front (`_PyDict_NewPresized`), then each key goes in."""
    table = Py2Dict()
    if len(keys) > 5:
        table._resize(len(keys))
    for key in keys:
        table.insert(key)
    return table


@cache
def typemap_order(name: str, fields: tuple[str, ...], made_by_module: bool,
                  version: str = "0.22") -> tuple[str, ...]:
    """The iteration order of a Struct class's TYPEMAP under Python 2.

    A class the schema (or a job file) defines gets it from its class body's dict.
    A class pystachio rebuilt from a serialized type (a field's type, a default value's
    type) gets it from the serialized parameters, which pystachio sorts by name.
    Fields the `version`'s class body lacks are not in its TYPEMAP."""
    has_doc, body = SCHEMAS[version].get(name, (False, fields))
    fields = tuple(f for f in fields if f in body)
    if not made_by_module:
        return tuple(inserted(sorted(fields)).order())
    prefix = ["__module__", "__doc__"] if has_doc else ["__module__"]
    in_body = [f for f in inserted(prefix + list(body)).order() if f in fields]
    return tuple(inserted(in_body).order())


def schema_data_order(value: Any, version: str = "0.22") -> list[str]:
    """`_schema_data` of a Struct value: a dict built from its class's `TYPEMAP.items()`."""
    klazz = type(value)
    fields = tuple(klazz.TYPEMAP)                 # in py3: the class body's own order
    return inserted(list(typemap_order(klazz.__name__, fields, _is_module_class(klazz),
                                       version))).order()


def _is_module_class(klazz: Any) -> bool:
    """True for a Struct class a job file names (`Process`), False for one pystachio
    rebuilt from a serialized type: a field's type and the defaults made with it."""
    from aurora.config import schema

    return getattr(schema, klazz.__name__, None) is klazz


def first_dict(keys: list[str], made: str, merges: int = 0) -> Py2Dict:
    """The dict a Map's pairs came in (see `map_keys`)."""
    if made == "display":
        table = literal(keys)
    elif made == "keywords":
        table = inserted(list(reversed(keys))).copy()
    else:
        table = inserted(keys)
    for _ in range(merges):
        table = table.copy()
    return table


def map_keys(keys: list[str], refed: int = 0, made: str = "", merges: int = 0) -> list[str]:
    """The key order of `get()` of a Map made from a dict whose keys went in as `keys`:
    `made` by a "display" (sized up front), by "keywords" (`dict(k=v, ...)`: a keyword
    dict filled last keyword first, merged into a new dict), or key by key (""), and
    then merged into a new dict `merges` times (`dict(d)`, `dict(**d)`, `d.copy()`).

    `refed` counts how many times that get() result was fed into a Map again (a job
    file's `Announcer(portmap=other.portmap().get())`): the Map copies the frozendict
    get() returns with copy.copy, which re-inserts key by key (no dict.copy() sizing),
    and its own get() re-inserts once more."""
    order = first_dict(keys, made, merges).copy().order()
    for _ in range(refed):
        got = inserted(order).order()
        order = inserted(got).order()
    return inserted(order).order()


def ordered(value: Any, version: str = "0.22") -> Any:
    """A pystachio value as plain data whose dicts iterate in Python 2's order, as the
    upstream schema `version` (a key of SCHEMAS) laid it out."""
    from pystachio import Empty
    from pystachio.composite import Structural
    from pystachio.container import ListContainer, MapContainer

    if hasattr(value, "unwrap"):                # a Choice: its chosen value
        value = value.unwrap()
    if isinstance(value, Structural):
        data = {k: v for k, v in value._schema_data.items() if v is not Empty}
        names = inserted([k for k in schema_data_order(value, version) if k in data]).order()
        return {name: ordered(data[name], version) for name in names}
    if isinstance(value, MapContainer):
        from aurora.config.map_history import history

        pairs = {str(k.get()): ordered(v, version) for k, v in value._map}
        came = history(value)
        return {key: pairs[key]
                for key in map_keys(list(pairs), came.refeeds, came.made, came.merges)}
    if isinstance(value, ListContainer):
        return [ordered(v, version) for v in value._values]
    return value.get()


def executor_data(job: Any, version: str = "0.22") -> str:
    """`json.dumps` of an interpolated job, aliased fields left out, as upstream's client
    of schema `version` wrote it."""
    from pystachio import Empty

    interpolated, _ = job(**{name: Empty for name in ALIASED_FIELDS}).interpolate()
    return json.dumps(ordered(interpolated, version))
