"""Upstream's own record of its Python 2 client's bytes, reproduced from its 2016 layout.

Upstream's docs/features/webhooks.md (written June 2016, unchanged in 0.22) shows the
executor data of a task of the e2e job http_example, as the client of that time wrote
it. tests/fixtures/py2_2016/webhooks_md_data.txt is that string, JSON-decoded from the
document; http_example.aurora is that job (upstream's e2e file of then, with the
resources and user the document shows). The schema of then predates `gpu` (upstream
commit edd47d08f) and several later fields, and its class bodies were shorter, so the
keys fall in other slots than in 0.22's layout: py2order's "2016-05" layout.

The document's string is a client's `json.dumps` output but for one space that was
added by hand after `"health_checker": {`: json.dumps never writes a space after `{`.
The test removes exactly that space and nothing else.
"""

from __future__ import annotations

from pathlib import Path

from pystachio import Ref

from aurora.config import py2order
from aurora.config.loader import load

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "py2_2016"
HAND_EDIT = ('"health_checker": { "http"', '"health_checker": {"http"')


def _executor_data(version: str) -> str:
    job = load(str(FIXTURES / "http_example.aurora")).jobs[0]
    job = job.bind({Ref.from_address("mesos.role"): "{{role}}",
                    Ref.from_address("mesos.cluster"): "{{cluster}}",
                    Ref.from_address("thermos.user"): "{{role}}"})
    underlying, _ = job.interpolate()
    return py2order.executor_data(underlying, version)


def _documented() -> str:
    text = (FIXTURES / "webhooks_md_data.txt").read_text().rstrip("\n")
    assert text.count("{ ") == 1 and HAND_EDIT[0] in text      # the one hand-made space
    return text.replace(*HAND_EDIT)


def test_the_2016_layout_reproduces_upstreams_documented_bytes():
    assert _executor_data("2016-05") == _documented()


def test_the_layouts_order_the_same_keys_differently():
    """Not only the new fields differ: a class body with one more name (0.22's
    HealthCheckConfig has min_consecutive_successes) moves the keys both share."""
    import json

    def keys(version: str) -> list[str]:
        return [k for k in json.loads(_executor_data(version))["health_check_config"]
                if k != "min_consecutive_successes"]

    assert keys("2016-05") == ["initial_interval_secs", "health_checker",
                               "max_consecutive_failures", "timeout_secs", "interval_secs"]
    assert keys("0.22") == ["health_checker", "initial_interval_secs",
                            "max_consecutive_failures", "timeout_secs", "interval_secs"]


def test_the_2016_layout_leaves_out_what_came_later():
    data = _executor_data("2016-05")
    for later in ("gpu", "min_consecutive_successes", "graceful_shutdown_wait_secs",
                  "metadata", "executor_config", "partition_policy"):
        assert f'"{later}"' not in data
