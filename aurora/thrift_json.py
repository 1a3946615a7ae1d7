"""Thrift values as plain JSON, shaped like thrift's simple JSON protocol."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass


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
