"""Indented JSON, byte for byte what `json.dumps(value, indent=2, separators=(",", ": "),
default=str)` writes, in a fraction of the time for large documents.

The standard library's C encoder cannot indent, and its Python encoder walks every
value through generators: about a second for the JSON of 10,000 tasks. This one
builds each container's text with joins, and encodes a dict or list that appears
several times in the document (the configuration shared by a job's tasks) once per
depth. Anything it does not expect (a circular value, an unsupported key) falls
back to `json.dumps`, which also raises the same errors.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from json.encoder import c_make_encoder, encode_basestring_ascii
from typing import Any

INDENT = "  "
STREAM_DEPTH = 3     # containers this deep or shallower are written item by item


def dumps(value: Any) -> str:
    try:
        return _Encoder().encode(value, 0)
    except (TypeError, ValueError, RecursionError):
        return _standard(value)


def iterdumps(value: Any, depth: int = STREAM_DEPTH) -> Iterator[str]:
    """The text of `dumps(value)` in pieces: the items of lists and dicts down to
    `depth` levels are encoded and yielded one by one, so that the JSON of 50,000
    tasks is written as it is made instead of held whole. A value this module does
    not expect is encoded by `json.dumps` (which raises the same errors), piece by
    piece."""
    yield from _Encoder().pieces(value, 0, depth)


def _standard(value: Any, level: int = 0) -> str:
    text = json.dumps(value, indent=2, separators=(",", ": "), default=str)
    return text.replace("\n", "\n" + INDENT * level) if level else text


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def _key(key: Any) -> str:
    if isinstance(key, str):
        return encode_basestring_ascii(key)
    if key is True:
        return '"true"'
    if key is False:
        return '"false"'
    if key is None:
        return '"null"'
    if isinstance(key, int):
        return f'"{int.__repr__(key)}"'
    if isinstance(key, float):
        return f'"{_float(key)}"'
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


SCALARS = frozenset({str, int, float, bool, type(None)})
TEXT = frozenset({str})
SHARED_SIZE = 8      # dicts this large are remembered: a repeat is copied, not re-encoded


class _Encoder:
    def __init__(self) -> None:
        self.memo: dict[tuple[int, int], str] = {}
        self.flat: dict[int, Any] = {}     # level -> C encoder for containers of scalars

    def encode(self, value: Any, level: int) -> str:
        out: list[str] = []
        self.emit(value, level, out)
        return "".join(out)

    def pieces(self, value: Any, level: int, depth: int) -> Iterator[str]:
        kind = type(value)
        if depth <= 0 or not value or (kind is not list and kind is not dict):
            try:
                yield self.encode(value, level)
            except (TypeError, ValueError, RecursionError):
                yield _standard(value, level)
            return
        inner = "\n" + INDENT * (level + 1)
        separator = ("[" if kind is list else "{") + inner
        for item in value if kind is list else value.items():
            if kind is dict:
                key, item = item
                separator += (encode_basestring_ascii(key) if type(key) is str
                              else _key(key)) + ": "
            yield separator
            yield from self.pieces(item, level + 1, depth - 1)
            separator = "," + inner
        yield "\n" + INDENT * level + ("]" if kind is list else "}")

    def flat_encoder(self, level: int) -> Any:
        """The C encoder, separating items as the indented form does at `level`: right
        for a container whose values are all scalars (most of a task's JSON). Called
        directly (as json.JSONEncoder does inside), it returns a list of pieces."""
        encoder = self.flat.get(level)
        if encoder is None:
            inner = "\n" + INDENT * (level + 1)
            if c_make_encoder is None:   # no C accelerator: the same text, slower
                slow = json.JSONEncoder(separators=("," + inner, ": "), default=str)
                encoder = self.flat[level] = lambda value, _level: [slow.encode(value)]
            else:
                encoder = self.flat[level] = c_make_encoder(
                    None, str, encode_basestring_ascii, None, ": ", "," + inner, False,
                    False, True)
        return encoder

    def emit(self, value: Any, level: int, out: list[str]) -> None:
        kind = type(value)
        if kind is str:
            out.append(encode_basestring_ascii(value))
        elif kind is dict:
            self.mapping(value, level, out)
        elif kind is list:
            self.sequence(value, level, out)
        elif kind is int:
            out.append(int.__repr__(value))
        elif value is None:
            out.append("null")
        elif value is True:
            out.append("true")
        elif value is False:
            out.append("false")
        else:
            self.other(value, level, out)

    def other(self, value: Any, level: int, out: list[str]) -> None:
        """The rarer types, checked in the order the standard encoder checks them."""
        if isinstance(value, str):
            out.append(encode_basestring_ascii(value))
        elif isinstance(value, int):
            out.append(int.__repr__(value))
        elif isinstance(value, float):
            out.append(_float(value))
        elif isinstance(value, (list, tuple)):
            self.sequence(value, level, out)
        elif isinstance(value, dict):
            self.mapping(value, level, out)
        else:
            self.emit(str(value), level, out)

    def mapping(self, value: Any, level: int, out: list[str]) -> None:
        if not value:
            out.append("{}")
            return
        if len(value) >= SHARED_SIZE:
            memo_key = (id(value), level)
            text = self.memo.get(memo_key)
            if text is None:
                part: list[str] = []
                self.items(value, level, part)
                text = self.memo[memo_key] = "".join(part)
            out.append(text)
        else:
            self.items(value, level, out)

    def items(self, value: Any, level: int, out: list[str]) -> None:
        inner = "\n" + INDENT * (level + 1)
        if SCALARS.issuperset(map(type, value.values())) and TEXT.issuperset(map(type, value)):
            out.extend(("{", inner, "".join(self.flat_encoder(level)(value, level))[1:-1],
                        "\n", INDENT * level, "}"))
            return
        separator = "{" + inner
        for key, item in value.items():
            out.append(separator)
            out.append(encode_basestring_ascii(key) if type(key) is str else _key(key))
            out.append(": ")
            self.emit(item, level + 1, out)
            separator = "," + inner
        out.append("\n" + INDENT * level + "}")

    def sequence(self, value: Any, level: int, out: list[str]) -> None:
        if not value:
            out.append("[]")
            return
        inner = "\n" + INDENT * (level + 1)
        separator = "[" + inner
        for item in value:
            out.append(separator)
            part: list[str] = []       # one string per item: 50,000 tasks' JSON would
            self.emit(item, level + 1, part)  # otherwise be millions of small strings
            out.append("".join(part))
            separator = "," + inner
        out.append("\n" + INDENT * level + "]")
