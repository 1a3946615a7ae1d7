"""aurora.jsontext writes exactly what json.dumps(indent=2) writes."""

from __future__ import annotations

import enum
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from aurora.jsontext import dumps, iterdumps


class Colour(enum.IntEnum):
    RED = 1


def reference(value: Any) -> str:
    return json.dumps(value, indent=2, separators=(",", ": "), default=str)


LEAVES = (st.none() | st.booleans() | st.integers() | st.floats() | st.text()
          | st.just(Colour.RED) | st.just(b"bytes") | st.just(("a", 1)))
KEYS = st.text() | st.integers() | st.booleans() | st.none() | st.floats()
VALUES = st.recursive(LEAVES, lambda inner: st.lists(inner) | st.dictionaries(KEYS, inner),
                      max_leaves=40)


@settings(max_examples=400, deadline=None)
@given(VALUES)
def test_same_text_as_the_standard_library(value: Any) -> None:
    assert dumps(value) == reference(value)


def test_shared_parts_at_several_depths() -> None:
    shared = {f"k{i}": [i, {"x": None}] for i in range(10)}
    document = [{"a": shared, "b": [shared, {"c": shared}]}, shared, {"d": {}, "e": []}]
    assert dumps(document) == reference(document)


def test_unsupported_keys_fail_as_in_the_standard_library() -> None:
    import pytest

    with pytest.raises(TypeError):
        dumps({("tuple", "key"): 1})


@settings(max_examples=200, deadline=None)
@given(VALUES)
def test_in_pieces_the_same_text(value: Any) -> None:
    assert "".join(iterdumps(value)) == reference(value)


def test_pieces_are_the_items_of_shallow_containers() -> None:
    tasks = [{"instance": i, "events": [{"status": "RUNNING", "ts": i}]} for i in range(50)]
    document = [{"job": "a/b/c/d", "active": tasks, "inactive": []}]
    pieces = list(iterdumps(document))
    assert "".join(pieces) == reference(document)
    assert len(pieces) > 50 and max(map(len, pieces)) < 200


def test_a_value_it_does_not_expect_is_encoded_by_the_standard_library() -> None:
    deep: list[Any] = []
    for _ in range(700):       # deeper than this encoder recurses, within json.dumps'
        deep = [deep]
    document = {"a": [1, {"b": deep}]}
    assert "".join(iterdumps(document)) == reference(document)
