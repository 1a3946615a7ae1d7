"""The edge case of a Map built from a get() result: a dict already in Python 2's order
fed into a Map again.

tests/fixtures/py2_edge/map_from_get.txt is what upstream's own client (Python 2.7.18,
pystachio 0.8.5, tests/tools/py2_oracle.py) wrote for map_from_get.aurora: a portmap
given as is, fed once through get(), and fed twice. Under Python 2 each refeed can move
keys: pystachio copies the frozendict that get() returns with copy.copy, which inserts
key by key into a fresh table, and its get() inserts once more.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from aurora.config import py2order

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "py2_edge"
LITERAL = ["https", "health", "alias", "ws"]          # the portmap as the file writes it


def _upstream_portmaps() -> dict[str, list[str]]:
    lines = (FIXTURES / "map_from_get.txt").read_text().splitlines()
    return {json.loads(line)["name"]: list(json.loads(line)["announce"]["portmap"])
            for line in lines}


@pytest.mark.parametrize("name,refed", [("plain", 0), ("hello", 1), ("twice", 2)])
def test_the_model_gives_upstreams_order_for_each_refeed(name, refed):
    assert py2order.map_keys(LITERAL, refed) == _upstream_portmaps()[name]


def test_a_refeed_moves_keys_here():
    """The fixture exercises the case: refeeding changes the order."""
    orders = _upstream_portmaps()
    assert orders["plain"] != orders["hello"]


def test_our_executor_data_for_a_refed_map():
    """The converter counts refeeds (aurora/config/map_history.py) and orders each Map
    by its own count: all three jobs are byte for byte upstream's."""
    sys.path.insert(0, str(Path(__file__).parent))
    from test_py2order import upstream_executor_data

    expected = (FIXTURES / "map_from_get.txt").read_text().splitlines()
    assert upstream_executor_data(FIXTURES / "map_from_get.aurora") == expected
