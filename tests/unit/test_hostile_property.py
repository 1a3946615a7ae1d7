"""Property: no command line and no job file makes `aurora` end in exit 20, a traceback,
or a control character on the terminal (run in-process, bounded for a few seconds)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.hostile import (
    FRAGMENTS,
    HOSTILE_WORDS,
    KEY,
    NUMBERS,
    PLAUSIBLE,
    TEMPLATE_JOB,
    Sandbox,
)

words = st.one_of(st.sampled_from(HOSTILE_WORDS),
                  st.text(max_size=12),
                  st.integers().map(str),
                  st.floats().map(repr))
job_texts = st.builds(
    lambda numbers, extra, cut: ("\n".join([TEMPLATE_JOB.format(**numbers), *extra]) + "\n")[
        :cut],
    st.fixed_dictionaries({k: st.sampled_from(NUMBERS)
                           for k in ("instances", "cpu", "ram", "disk")}),
    st.lists(st.sampled_from(FRAGMENTS), max_size=2),
    st.integers(min_value=0, max_value=2000))


@pytest.fixture(scope="module")
def sandbox():
    with tempfile.TemporaryDirectory() as folder:
        yield Sandbox(Path(folder))


@settings(max_examples=120, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(template=st.sampled_from(PLAUSIBLE), extra=st.lists(words, max_size=3),
       replace_at=st.integers(min_value=0, max_value=8), job=job_texts)
def test_no_input_ends_in_an_internal_error(sandbox, template, extra, replace_at, job):
    job_file = sandbox.root / "property.aurora"
    job_file.write_text(job, errors="surrogateescape")
    argv = template.replace("KEY", KEY).replace("FILE", str(job_file)).split()
    if extra and replace_at < len(argv):
        argv[replace_at] = extra.pop()
    outcome = sandbox.run_inprocess(argv + extra)
    assert outcome.problem() is None, (argv + extra, outcome.problem())
