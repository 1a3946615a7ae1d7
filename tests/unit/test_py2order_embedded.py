"""Every job file embedded in upstream's docs and Python tests: our executor data
equals upstream's 0.22 client's byte for byte.

tests/fixtures/upstream_embedded/ holds the job files found in upstream 0.22's
docs/**/*.md code blocks and in the constant strings of its Python test modules
(src/test/python/**), each headed by a comment naming its source; they were extracted
by tests/tools/extract_upstream_jobs.py. tests/fixtures/py2_embedded/ holds, per job
file, one line per job as upstream's own client (CPython 2.7.18, pystachio 0.8.5,
upstream's AuroraConfig(job).job()) wrote its executor data, made by
tests/tools/py2_oracle.py; a job upstream's client refuses has a `# REJECTED` line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.test_py2order import upstream_executor_data

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
JOB_FILES = sorted((FIXTURES / "upstream_embedded").glob("*.aurora"))
REJECTED = "# REJECTED"

# Job files upstream's client itself rejects as they stand, so there are no bytes to match.
UPSTREAM_REJECTS = {
    "docs_features_custom_executors_1": "a fragment: names a `task` it never defines",
    "docs_getting_started_tutorial_1": "reads /vagrant/hello_world.py, absent outside "
                                       "upstream's Vagrant box",
    "docs_reference_client_hooks_1": "sets `env`, which the schema does not have",
    "docs_reference_configuration_templating_1": "a syntax error (unclosed quote)",
    "docs_reference_configuration_tutorial_1": "a syntax error (unterminated string)",
    "docs_reference_configuration_tutorial_2": "a fragment: names job1..job3, never defined",
    "docs_reference_configuration_tutorial_3": "its role is os.getenv('USER'): None here",
    "docs_reference_configuration_tutorial_4": "a syntax error (missing comma)",
    "test_base_BAD_MESOS_CONFIG": "`jobs = 1234` (a test of the rejection)",
    "test_base_UNDERSPECIFIED_MESOS_CONFIG": "no cluster (a test of the rejection)",
    "test_binding_helper_GENERIC_CONFIG": "needs its test's binding helpers",
    "test_config_MESOS_CONFIG_WITH_INVALID_STATS": "sets `stats_port`, which the schema "
                                                   "does not have (a test of the rejection)",
    "test_config_bad_config": "a nested template (a test of the rejection)",
    "test_docker_helper_DOCKER_BINDING_CONFIG": "needs a docker registry to resolve "
                                                "{{docker.image[...]}}",
    "test_util_UNBOUND_CONFIG": "needs --bind values (a test of bindings)",
}


def _expected(job_file: Path) -> list[str]:
    return (FIXTURES / "py2_embedded" / f"{job_file.stem}.txt").read_text().splitlines()


ACCEPTED = [p for p in JOB_FILES if p.stem not in UPSTREAM_REJECTS]


@pytest.mark.parametrize("job_file", ACCEPTED, ids=[p.stem for p in ACCEPTED])
def test_executor_data_is_byte_identical_to_upstreams(job_file, monkeypatch):
    monkeypatch.chdir(job_file.parent)
    expected = _expected(job_file)
    ours = upstream_executor_data(job_file)
    assert len(ours) == len(expected)
    compared = [(o, e) for o, e in zip(ours, expected, strict=True)
                if not e.startswith(REJECTED)]
    assert compared                                     # at least one job compared
    for o, e in compared:
        assert o == e


def test_the_rejected_list_is_exactly_what_upstream_rejected():
    """A job file is listed as rejected if and only if upstream refused all its jobs."""
    refused = {p.stem for p in JOB_FILES
               if all(line.startswith(REJECTED) for line in _expected(p))}
    assert refused == set(UPSTREAM_REJECTS)


def test_the_count():
    """30 job files found upstream; 15 upstream's client accepts; 16 jobs compared."""
    jobs = [line for p in ACCEPTED for line in _expected(p) if not line.startswith(REJECTED)]
    assert (len(JOB_FILES), len(ACCEPTED), len(jobs)) == (30, 15, 16)
