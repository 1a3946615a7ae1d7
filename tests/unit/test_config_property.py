"""Generated job files, valid or not, never produce a traceback: a result or a ConfigError."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aurora.config.job import load_job
from aurora.config.loader import ConfigError
from aurora.jobkey import parse_job_key

names = st.sampled_from(["p", "q", "main", "setup", ".bad", "a/b", "", "x y", "p"])
scalars = st.one_of(
    st.integers(-5, 10**6).map(str), st.floats(-2, 64, allow_nan=False).map(repr),
    st.sampled_from(["'many'", "None", "True", "'{{x}}'", "64*MB", "0", "-1", "[]"]))
cmdlines = st.sampled_from([
    "'echo hi'", "'run {{mesos.instance}}'", "'{{thermos.ports[http]}}'", "'{{unbound}}'",
    "'{{thermos.ports.http}}'", "'{{x}}'", "1", "'{{{{'"])
crons = st.sampled_from(["", ", cron_schedule='* * * * *'", ", cron_schedule='bad'",
                         ", cron_collision_policy='nope', cron_schedule='0 * * * *'"])
extras = st.sampled_from([
    "", ", instances={v}", ", priority={v}", ", max_task_failures={v}", ", production={v}",
    ", tier='preferred'", ", tier='gold'", ", constraints={{'host': 'limit:{v}'}}",
    ", constraints={{'dedicated': 'www-data/x'}}", ", announce=Announcer()",
    ", announce=Announcer(portmap={{'http': {v}}})", ", update_config=UpdateConfig("
    "batch_size={v}, max_total_failures={v})", ", container=Container()",
    ", container=Docker(image={v})", ", sla_policy=CountSlaPolicy(count={v}, duration_secs=1)",
    ", metadata=[Metadata(key='k', value={v})]", ", partition_policy=PartitionPolicy(delay_secs="
    "{v})"])
orders = st.sampled_from(["", ", constraints=order('p', 'q')", ", constraints=order('p', 'z')",
                          ", constraints=order('q', 'p') + order('p', 'q')"])
tails = st.sampled_from(["", "\nx = (", "\nraise ValueError('boom')", "\njobs = 3",
                         "\njobs = []", "\nprint 'py2'", "\ninclude('missing.aurora')"])


@st.composite
def job_files(draw: st.DrawFn) -> str:
    procs = ", ".join(
        f"Process(name='{draw(names)}', cmdline={draw(cmdlines)}, max_failures={draw(scalars)},"
        f" daemon={draw(st.sampled_from(['False', 'True']))})"
        for _ in range(draw(st.integers(0, 3))))
    resources = (f"Resources(cpu={draw(scalars)}, ram={draw(scalars)}, disk={draw(scalars)})"
                 if draw(st.booleans()) else "Empty")
    extra = "".join(draw(extras).format(v=draw(scalars)) for _ in range(draw(st.integers(0, 3))))
    return (f"jobs = [Job(cluster='devcluster', role='www-data', environment='test', "
            f"name='{draw(st.sampled_from(['x', 'y', '{{n}}']))}', "
            f"task=Task(processes=[{procs}], resources={resources}{draw(orders)})"
            f"{draw(crons)}{extra})]{draw(tails)}\n")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=job_files(), bind=st.booleans())
def test_generated_job_files_never_raise_anything_else(text: str, bind: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "gen.aurora"
        path.write_text(text)
        try:
            config = load_job(str(path), parse_job_key("devcluster/www-data/test/x"),
                              ["n=x", "x=1"] if bind else [])
        except ConfigError as exc:
            assert exc.exit_code == 3
            assert "\n" not in str(exc) and str(exc).strip()
            return
        json.loads(config.thrift.taskConfig.executorConfig.data or "{}")
        assert config.thrift.instanceCount >= 1


@settings(max_examples=100, deadline=None)
@given(doc=st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5)),
                        lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                st.dictionaries(st.sampled_from(
                                                    ["name", "task", "jobs", "role", "x"]),
                                                    inner, max_size=3)),
                        max_leaves=8))
def test_generated_json_job_files_never_raise_anything_else(doc: object) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "gen.json"
        path.write_text(json.dumps(doc))
        try:
            load_job(str(path), parse_job_key("devcluster/www-data/test/x"), read_json=True)
        except ConfigError as exc:
            assert exc.exit_code == 3 and "\n" not in str(exc)
