"""Bounds on a binary thrift message, checked before it is decoded.

thriftpy2's C decoder trusts every count it reads: a 28-byte message that
claims a list of 2**31 structs, reading from an in-memory buffer that pads
with zeros instead of failing, builds empty structs for seconds; a container of
a type that takes no bytes (STOP, VOID, or an unknown type) is skipped element
by element, 2 ns each, without reading anything. So every message the client
or the devcluster decodes goes through two guards:

* `reader(data)`: a transport that fails at the end of the data instead of
  padding, so any claim that needs bytes fails as soon as they run out;
* `check(data, start)`: a walk over the message that refuses a count larger
  than the bytes left could hold, a type that does not exist and nesting deeper
  than `MAX_DEPTH`, in time linear in the message's size. The devcluster walks
  every request; the client walks replies up to `CLIENT_CHECK_BYTES` (a larger
  reply, from the scheduler it chose to trust, relies on the first guard).
"""

from __future__ import annotations

import struct
from typing import Any

MAX_DEPTH = 64
CLIENT_CHECK_BYTES = 4 * 1024 * 1024

_I32 = struct.Struct(">i").unpack_from
_STOP, _STRING, _STRUCT, _MAP, _SET, _LIST = 0, 11, 12, 13, 14, 15
_FIXED = {2: 1, 3: 1, 4: 8, 6: 2, 8: 4, 10: 8}        # bool, byte, double, i16, i32, i64
_SMALLEST = {**_FIXED, _STRING: 4, _STRUCT: 1, _MAP: 6, _SET: 5, _LIST: 5}


class Malformed(ValueError):
    """The message claims more than it holds, or is not binary thrift."""


class _Source:
    """`data` read in pieces, without a copy of the whole (a reply can be 60 MB)."""

    def __init__(self, data: bytes | bytearray):
        self.view = memoryview(data)
        self.pos = 0

    def read(self, size: int) -> bytes:
        piece = self.view[self.pos:self.pos + size]
        self.pos += len(piece)
        return bytes(piece)


def reader(data: bytes | bytearray) -> Any:
    """A thriftpy2 transport over `data` that raises at its end instead of padding."""
    from thriftpy2.transport import TCyBufferedTransport

    return TCyBufferedTransport(_Source(data), 64 * 1024)


def message_start(data: bytes | bytearray) -> int:
    """Where the arguments (or result) struct of a strict binary message begins."""
    if len(data) < 12:
        raise Malformed(f"a message of {len(data)} bytes is too short for thrift")
    version = _I32(data, 0)[0] & 0xFFFF0000
    if version != 0x80010000:           # strict binary protocol, version 1
        raise Malformed("not a strict binary thrift message")
    return 8 + _count(data, 4, len(data), 1) + 4


def check(data: bytes | bytearray, start: int | None = None) -> None:
    """Raise `Malformed` unless the struct at `start` fits in `data`, all counts included."""
    begin = message_start(data) if start is None else start
    end = _value(data, begin, len(data), _STRUCT, 0)
    if end > len(data):
        raise Malformed("the message ends inside a value")


def _count(data: bytes | bytearray, pos: int, end: int, smallest: int) -> int:
    if pos + 4 > end:
        raise Malformed("the message ends inside a length")
    count = _I32(data, pos)[0]
    if count < 0 or count * smallest > end - pos - 4:
        raise Malformed(f"a value claims {count:,} elements or bytes, more than the "
                        f"{end - pos - 4:,} bytes left could hold")
    return count


def _value(data: bytes | bytearray, pos: int, end: int, kind: int, depth: int) -> int:
    """The position after the value of thrift type `kind` that starts at `pos`."""
    fixed = _FIXED.get(kind)
    if fixed is not None:
        return pos + fixed
    if kind == _STRING:
        return pos + 4 + _count(data, pos, end, 1)
    if depth >= MAX_DEPTH:
        raise Malformed(f"values nested deeper than {MAX_DEPTH} levels")
    if kind == _STRUCT:
        return _struct(data, pos, end, depth + 1)
    if kind in (_SET, _LIST):
        return _sequence(data, pos, end, depth + 1)
    if kind == _MAP:
        return _map(data, pos, end, depth + 1)
    raise Malformed(f"thrift has no type {kind}")


def _struct(data: bytes | bytearray, pos: int, end: int, depth: int) -> int:
    while True:
        if pos >= end:
            raise Malformed("the message ends inside a struct")
        kind = data[pos]
        if kind == _STOP:
            return pos + 1
        pos = _value(data, pos + 3, end, kind, depth)


def _element_type(data: bytes | bytearray, pos: int) -> int:
    kind = data[pos] if pos < len(data) else _STOP
    if kind not in _SMALLEST:
        raise Malformed(f"a container of thrift type {kind}, which does not exist")
    return kind


def _sequence(data: bytes | bytearray, pos: int, end: int, depth: int) -> int:
    kind = _element_type(data, pos)
    count = _count(data, pos + 1, end, _SMALLEST[kind])
    pos += 5
    fixed = _FIXED.get(kind)
    if fixed is not None:
        return pos + count * fixed
    for _ in range(count):
        pos = _value(data, pos, end, kind, depth)
    return pos


def _map(data: bytes | bytearray, pos: int, end: int, depth: int) -> int:
    key, value = _element_type(data, pos), _element_type(data, pos + 1)
    count = _count(data, pos + 2, end, _SMALLEST[key] + _SMALLEST[value])
    pos += 6
    for _ in range(count):
        pos = _value(data, _value(data, pos, end, key, depth), end, value, depth)
    return pos
