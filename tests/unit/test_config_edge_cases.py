"""Templating edge cases where upstream's loader has a definite answer, and our stricter checks."""

from __future__ import annotations

import json

import pytest

from aurora.api.idl import api
from aurora.config.loader import ConfigError
from tests.unit.test_config import JOBS, fails, job_text, load

PORTS = str(JOBS / "port_template.aurora")


def named_ports(thrift) -> set[str]:
    return {r.namedPort for r in thrift.taskConfig.resources if r.namedPort}


def executor(thrift) -> dict:
    return json.loads(thrift.taskConfig.executorConfig.data)


@pytest.mark.parametrize("name,bindings", [("bound", ()), ("cli", ("pname=http",))])
def test_port_name_that_is_a_template_requests_the_bound_port(name, bindings):
    thrift = load(PORTS, f"devcluster/www-data/test/{name}", *bindings).thrift
    a = api()
    assert thrift.taskConfig.resources == {
        a.Resource(numCpus=0.1), a.Resource(ramMb=16), a.Resource(diskMb=16),
        a.Resource(namedPort="http"), a.Resource(namedPort="admin")}
    task = executor(thrift)["task"]
    assert [p["cmdline"] for p in task["processes"]] == [
        "serve --port {{thermos.ports[http]}}", "admin {{thermos.ports[admin]}}"]
    assert task["name"] == "n{{thermos.ports[weird]}}"    # left for Thermos, not requested


def test_port_name_template_beside_an_announcer_portmap():
    thrift = load(PORTS, "devcluster/www-data/test/announced").thrift
    assert named_ports(thrift) == {"thrift", "admin"}
    data = executor(thrift)
    assert data["announce"] == {"primary_port": "thrift", "portmap": {"aurora": "thrift"}}
    assert data["task"]["processes"][0]["cmdline"] == "serve --port {{thermos.ports[thrift]}}"


def test_unbound_port_name_template_is_an_unbound_variable():
    with pytest.raises(ConfigError) as caught:
        load(PORTS, "devcluster/www-data/test/cli")
    assert "Config contains unbound variables: pname" in str(caught.value)


def test_port_reference_in_the_task_name_is_not_requested(tmp_path):
    text = job_text(task_extra=", name='n{{thermos.ports[weird]}}'")
    path = tmp_path / "job.aurora"
    path.write_text(text)
    assert named_ports(load(path, "devcluster/www-data/test/x").thrift) == set()


def test_nesting_an_executor_value_inside_a_reference_is_refused():
    with pytest.raises(ConfigError) as caught:
        load(JOBS / "nested_template.aurora", "devcluster/www-data/test/nested")
    assert caught.value.exit_code == 3
    assert str(caught.value) == (
        f"{JOBS / 'nested_template.aurora'}: job nested: Task is invalid: Unexpected unbound "
        "refs: a[31337]. Make sure you are not nesting template variables.; the inner "
        "variable is only known on the agent; compute the value another way")


def test_alias_bindings_win_over_bind_and_pystachio_star_names_are_there():
    thrift = load(JOBS / "aliases.aurora", "devcluster/www-data/test/aliases",
                  "thermos.user=bob", "mesos.cluster=zz", "mesos.role=nobody").thrift
    cmdline = executor(thrift)["task"]["processes"][0]["cmdline"]
    assert cmdline == "echo www-data www-data devcluster py3 String"


def test_job_file_namespace_matches_pystachio_star_import():
    import pystachio
    import pystachio.config  # noqa: F401

    from aurora.config.namespace import job_file_namespace

    namespace = job_file_namespace()
    star = {n for n in vars(pystachio) if not n.startswith("_")}
    assert {"sys", "config", "typing", "basic"} <= star
    assert all(namespace[n] is getattr(pystachio, n) for n in star)


# -- stricter than upstream on purpose (docs/compatibility.md quotes these) ---------------
def test_duplicate_process_names_are_refused(tmp_path):
    text = fails(tmp_path, job_text(procs="Process(name='p', cmdline='a'), "
                                          "Process(name='p', cmdline='b')"))
    assert text.endswith("job x: duplicate process name 'p' in task; every process of a "
                         "task needs its own name")


@pytest.mark.parametrize("schedule", ["every day", "0 0 * * * *", "61 * * * *"])
def test_malformed_cron_schedules_are_refused(tmp_path, schedule):
    text = fails(tmp_path, job_text(job_extra=f", cron_schedule='{schedule}'"))
    assert text.endswith(f"job x: invalid cron schedule '{schedule}'; use five fields: "
                         "minute hour day-of-month month day-of-week")


def test_batch_size_zero_is_refused(tmp_path):
    text = fails(tmp_path, job_text(job_extra=", update_config=UpdateConfig(batch_size=0)"))
    assert text.endswith("job x: Batch size should be greater than 0; set update_config "
                         "batch_size to 1 or more")
