"""The executor data byte for byte as upstream's Python 2 client wrote it.

The expected strings under tests/fixtures/py2/ were written by CPython 2.7.18 running
Aurora 0.22's own schema (apache/thermos/config/schema_base.py and
apache/aurora/config/schema/base.py) on pystachio 0.8.5, as upstream's client did
(`filter_aliased_fields(job).json_dumps()` after its standard bindings), for every
job file named: upstream's examples and end-to-end jobs (tests/fixtures/upstream),
ours (docs/examples) and the test jobs (tests/fixtures/jobs). The hashes and orders
below were read off the same interpreter.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pystachio import Ref

from aurora.config import py2order
from aurora.config.loader import load

ROOT = Path(__file__).resolve().parent.parent.parent
EXPECTED = sorted((ROOT / "tests" / "fixtures" / "py2").glob("*.txt"))
FOLDERS = {"upstream": ROOT / "tests" / "fixtures" / "upstream",
           "examples": ROOT / "docs" / "examples", "jobs": ROOT / "tests" / "fixtures" / "jobs"}


@pytest.mark.parametrize("text,expected", [
    ("", 0), ("a", 12416037344), ("name", -4166578487145698715),
    ("environment", 4675311066165635120), ("health_check_config", 216713672187747971),
    ("port", 4142563773863848093), ("été", 7663802489438502929)])
def test_string_hashes_are_python_2s(text, expected):
    assert py2order.py2_hash(text) == expected


@pytest.mark.parametrize("value,expected", [
    (2.5, 1342242816), (-1, -2), ((1, "a"), 3703129313087942906),
    (1e300, 8474648701417850880), (True, 1)])
def test_value_hashes_are_python_2s(value, expected):
    assert py2order.py2_value_hash(value) == expected


def test_dict_order_follows_slots_and_growth():
    process = ["cmdline", "name", "resources", "max_failures", "daemon", "ephemeral",
               "min_duration", "final", "logger"]
    assert py2order.inserted(process).order() == [
        "daemon", "name", "max_failures", "ephemeral", "min_duration", "cmdline", "logger",
        "final", "resources"]
    assert py2order.inserted(list("abcdefg")).order() == list("acbedgf")


def test_a_class_body_starts_with_module():
    order = py2order.typemap_order("HttpLifecycleConfig", (
        "port", "graceful_shutdown_endpoint", "shutdown_endpoint",
        "graceful_shutdown_wait_secs", "shutdown_wait_secs"), True)
    assert order == ("graceful_shutdown_endpoint", "graceful_shutdown_wait_secs", "port",
                     "shutdown_wait_secs", "shutdown_endpoint")


def upstream_executor_data(path: Path) -> list[str]:
    """Our executor data for each job of `path`, through upstream's own steps."""
    found = []
    for job in load(str(path)).jobs:
        job = job.bind({Ref.from_address("mesos.role"): "{{role}}",
                        Ref.from_address("mesos.cluster"): "{{cluster}}",
                        Ref.from_address("thermos.user"): "{{role}}"})
        underlying, _ = job.interpolate()
        found.append(py2order.executor_data(underlying))
    return found


@pytest.mark.parametrize("expected", EXPECTED, ids=[p.stem for p in EXPECTED])
def test_executor_data_is_byte_identical_to_upstreams(expected, monkeypatch):
    folder, name = expected.stem.split("--")
    job_file = FOLDERS[folder] / f"{name}.aurora"
    monkeypatch.chdir(job_file.parent)             # includes are relative to the file
    assert upstream_executor_data(job_file) == expected.read_text().splitlines()


def test_every_job_file_we_ship_is_covered():
    covered = {p.stem.split("--")[1] for p in EXPECTED}
    assert {p.stem for p in FOLDERS["upstream"].glob("*.aurora")} <= covered
    assert {p.stem for p in FOLDERS["examples"].glob("*.aurora")} <= covered


def test_the_content_is_what_pystachio_gives():
    """Only the order is Python 2's: the data is that of pystachio's own json_dumps."""
    for expected in EXPECTED:
        folder, name = expected.stem.split("--")
        for line in expected.read_text().splitlines():
            assert json.loads(line)           # each line is one job's JSON object
