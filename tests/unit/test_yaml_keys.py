"""The YAML format quotes any key that is not plain from its first to its last character."""

from __future__ import annotations

import json

import pytest

from aurora.plugins.formats import yaml_lines


@pytest.mark.parametrize("key", ["a\n", "a\nb: 1", "", "null", "1abc", "a b"])
def test_a_key_that_is_not_plain_is_quoted(key: str) -> None:
    assert yaml_lines({key: 1}) == [f"{json.dumps(key)}: 1"]


def test_a_plain_key_is_not_quoted() -> None:
    assert yaml_lines({"task.id-1": 1}) == ["task.id-1: 1"]
