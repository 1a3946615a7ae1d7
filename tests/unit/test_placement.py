"""The devcluster's placement rules, one veto at a time (aurora/devcluster/placement.py)."""

from __future__ import annotations

from aurora.api.idl import api
from aurora.devcluster.placement import Host, Offer, machine_host
from aurora.devcluster.store import Store
from tests.support.jobs import job

JOB = ("www-data", "test", "web")


def config(constraints: dict[str, str] | None = None, cpus: float = 0.1, gpus: int = 0) -> object:
    a = api()
    task = job("web", []).taskConfig
    task.resources = {a.Resource(numCpus=cpus), a.Resource(ramMb=16), a.Resource(diskMb=16)}
    if gpus:
        task.resources.add(a.Resource(numGpus=gpus))
    task.constraints = set()
    for name, spec in (constraints or {}).items():
        if spec.startswith("limit:"):
            kind = a.TaskConstraint(limit=a.LimitConstraint(limit=int(spec[6:])))
        else:
            negated = spec.startswith("!")
            kind = a.TaskConstraint(value=a.ValueConstraint(
                negated=negated, values=set(spec.lstrip("!").split(","))))
        task.constraints.add(a.Constraint(name=name, constraint=kind))
    return task


def offer(tmp_path, running: int = 0, **host: object) -> Offer:
    store = Store(str(tmp_path / "state.db"))
    digest = store.put_config(config())
    key = api().JobKey(role=JOB[0], environment=JOB[1], name=JOB[2])
    for i in range(running):
        store.add_task(f"t{i}", key, i, digest, status=api().ScheduleStatus.RUNNING)
    attributes = {"host": frozenset({"h1"}), "rack": frozenset({"r1"})}
    return Offer(Host("h1", {**attributes, **host.pop("attributes", {})}, **host), store)


def test_value_constraints_negation_and_missing_attributes(tmp_path):
    o = offer(tmp_path)
    assert o.vetoes(JOB, config({"host": "h1"})) == []
    assert o.vetoes(JOB, config({"rack": "r2,r1"})) == []
    assert o.vetoes(JOB, config({"host": "!h2"})) == []
    assert o.vetoes(JOB, config({"host": "no-such-host"})) == ["Constraint not satisfied: host"]
    assert o.vetoes(JOB, config({"rack": "!r1"})) == ["Constraint not satisfied: rack"]
    assert o.vetoes(JOB, config({"zone": "z1"})) == ["Constraint not satisfied: zone"]
    assert o.vetoes(JOB, config({"zone": "!z1"})) == []     # the host has no zone at all


def test_limits_count_the_jobs_placed_tasks_and_value_constraints_come_first(tmp_path):
    o = offer(tmp_path, running=1)
    assert o.vetoes(JOB, config({"host": "limit:2"})) == []
    o.take(JOB, config())
    assert o.vetoes(JOB, config({"host": "limit:2"})) == ["Limit not satisfied: host"]
    assert o.vetoes(("other", "test", "web"), config({"host": "limit:1"})) == []
    assert o.vetoes(JOB, config({"zone": "limit:5"})) == ["Constraint not satisfied: zone"]
    assert o.vetoes(JOB, config({"host": "limit:1", "rack": "r9"})) == [
        "Constraint not satisfied: rack"]


def test_resources_are_what_the_host_has_less_what_placed_tasks_hold(tmp_path):
    o = offer(tmp_path, running=5, cpus=1.0, ram_mb=1000.0, disk_mb=1000.0, gpus=0.0)
    for _ in range(5):                        # 10 x 0.1 CPU fit in 1 CPU, rounding aside
        assert o.vetoes(JOB, config()) == []
        o.take(JOB, config())
    assert o.vetoes(JOB, config()) == ["Insufficient: CPU"]
    assert o.vetoes(JOB, config(cpus=0, gpus=1)) == ["Insufficient: GPU"]


def test_a_dedicated_host_takes_only_dedicated_tasks(tmp_path):
    o = offer(tmp_path, attributes={"dedicated": frozenset({"www-data/web"})})
    assert o.vetoes(JOB, config()) == ["Host is dedicated"]
    assert o.vetoes(JOB, config({"dedicated": "www-data/web"})) == []
    assert o.vetoes(JOB, config({"dedicated": "www-data/db"})) == [
        "Constraint not satisfied: dedicated"]


def test_machine_host_defaults_and_given_attributes(tmp_path):
    host = machine_host("127.0.0.1", str(tmp_path), [("rack", "r7"), ("zone", "a"),
                                                     ("zone", "b")])
    assert host.attributes == {"host": {"127.0.0.1"}, "rack": {"r7"}, "zone": {"a", "b"}}
    assert host.cpus >= 1 and host.ram_mb > 0 and host.disk_mb > 0 and host.gpus == 0
