"""Maps by how their dict was made, byte for byte as upstream's Python 2 client wrote them.

The files under tests/fixtures/py2_edge/*.txt are what upstream's own client (CPython
2.7.18, pystachio 0.8.5, tests/tools/py2_oracle.py) wrote for the job files beside them:
big_maps: dict displays of 8, 9 and 12 keys (sized up front by Python 2), dicts of 8
and 12 keys built from pairs and by a comprehension (grown key by key), and a large
display fed back from a get(); keyword_maps: 41 maps made by dict(key=value, ...)
(a keyword dict filled last keyword first, then merged); merged_maps and chained_maps:
82 maps merged into new dicts (dict(d), dict(**d), d.copy()), alone and in a row.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "py2_edge"


@pytest.mark.parametrize("name", ["big_maps", "keyword_maps", "merged_maps", "chained_maps"])
def test_maps_are_ordered_as_upstreams_client_ordered_them(name: str) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from test_py2order import upstream_executor_data

    expected = (FIXTURES / f"{name}.txt").read_text().splitlines()
    assert upstream_executor_data(FIXTURES / f"{name}.aurora") == expected


def test_the_fixture_tells_displays_from_built_dicts() -> None:
    """Python 2 orders the same eight keys differently as a display and as built."""
    jobs = {json.loads(line)["name"]: json.loads(line)
            for line in (FIXTURES / "big_maps.txt").read_text().splitlines()}
    shown, built = (list(jobs[n]["announce"]["portmap"]) for n in ("display8", "built8"))
    assert sorted(shown) == sorted(built) and shown != built
