"""Job files: loading, every struct and helper, conversion field by field, validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aurora.api.idl import api
from aurora.config.helpers import (
    SequentialTask,
    SimpleTask,
    combine_tasks,
    concat_tasks,
    java_options,
    order,
    python_options,
)
from aurora.config.job import load_job
from aurora.config.loader import ConfigError
from aurora.config.schema import GB, MB, Process, Resources, Task
from aurora.jobkey import parse_job_key
from tests.conftest import EXAMPLES, FIXTURES

JOBS = FIXTURES / "jobs"
EVERYTHING = str(JOBS / "everything.aurora")


def tiers():
    a = api()
    flags = {"preferred": ("false", "false"), "preemptible": ("true", "false"),
             "revocable": ("true", "true")}
    return a.GetTierConfigResult(defaultTierName="preemptible", tiers=[
        a.TierConfig(name=n, settings={"preemptible": p, "revocable": r})
        for n, (p, r) in flags.items()])


def load(path, key, *bindings, **kw):
    return load_job(str(path), parse_job_key(key), list(bindings), tiers=tiers(), **kw)


def write(tmp_path: Path, text: str, name: str = "job.aurora") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def fails(tmp_path, text, *message_parts, key="devcluster/www-data/test/x", bindings=()):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load(path, key, *bindings)
    assert caught.value.exit_code == 3
    text = str(caught.value)
    assert "\n" not in text
    for part in message_parts:
        assert part in text, text
    return text


JOB = ("jobs = [Job(cluster='devcluster', role='www-data', environment='test', name='x', "
       "task=Task(processes=[{procs}], resources=Resources(cpu=1, ram={ram}, disk=64*MB)"
       "{task_extra}){job_extra})]")


def job_text(procs="Process(name='p', cmdline='true')", ram="64*MB", task_extra="",
             job_extra=""):
    return JOB.format(procs=procs, ram=ram, task_extra=task_extra, job_extra=job_extra)


# -- the examples and the all-features file ----------------------------------------------
@pytest.mark.parametrize("example,key", [
    ("hello_world.aurora", "devcluster/www-data/prod/hello"),
    ("cron_hello_world.aurora", "devcluster/www-data/test/cron_hello_world"),
])
def test_examples_load_and_convert(example, key):
    config = load(EXAMPLES / example, key)
    thrift = config.thrift
    assert thrift.key.name == key.rsplit("/", 1)[1] and thrift.instanceCount == 1
    assert thrift.taskConfig.executorConfig.name == "AuroraExecutor"
    data = json.loads(thrift.taskConfig.executorConfig.data)
    assert "update_config" not in data and "instances" not in data
    assert data["task"]["processes"][0]["cmdline"]


def test_hello_world_conversion_field_by_field():
    t = load(EXAMPLES / "hello_world.aurora", "devcluster/www-data/prod/hello").thrift
    a = api()
    task = t.taskConfig
    assert (t.key.role, t.key.environment, t.key.name) == ("www-data", "prod", "hello")
    assert t.owner == task.owner and t.owner.user
    assert t.cronSchedule is None and t.cronCollisionPolicy == a.CronCollisionPolicy.KILL_EXISTING
    assert task.job == t.key and task.isService is True and task.priority == 0
    assert task.maxTaskFailures == 1 and task.production is False
    assert task.tier == "preemptible"  # the default tier, filled in as upstream does
    assert task.resources == {a.Resource(numCpus=0.1), a.Resource(ramMb=32),
                              a.Resource(diskMb=32)}
    assert task.constraints == set() and task.metadata == set() and task.taskLinks == {}
    assert task.contactEmail is None and task.partitionPolicy is None and task.slaPolicy is None
    assert task.container == a.Container(mesos=a.MesosContainer())
    data = json.loads(task.executorConfig.data)
    assert data["name"] == "hello" and data["service"] is True and data["tier"] == "preemptible"
    assert data["task"]["constraints"] == [{"order": ["hello"]}]     # SequentialTask
    assert data["task"]["resources"] == {"cpu": 0.1, "ram": 32 * MB, "disk": 32 * MB,
                                         "gpu": 0}
    assert data["health_check_config"]["health_checker"]["http"]["endpoint"] == "/health"
    assert data["lifecycle"]["http"]["port"] == "health"
    assert data["executor_config"] == {"name": "AuroraExecutor", "data": ""}


def test_everything_main_job_converts_every_field():
    a = api()
    config = load(EVERYTHING, "devcluster/www-data/prod/everything")
    t, task = config.thrift, config.thrift.taskConfig
    assert t.instanceCount == 3 and task.contactEmail == "team@example.com"
    assert task.tier == "preferred" and task.production is True    # backfilled from tier
    assert task.maxTaskFailures == -1 and task.priority == 5
    assert task.resources == {a.Resource(numCpus=1.0), a.Resource(ramMb=256),
                              a.Resource(diskMb=256), a.Resource(namedPort="http"),
                              a.Resource(namedPort="admin")}
    assert task.constraints == {
        a.Constraint(name="host", constraint=a.TaskConstraint(limit=a.LimitConstraint(1))),
        a.Constraint(name="rack", constraint=a.TaskConstraint(
            value=a.ValueConstraint(negated=True, values={"r1", "r2"})))}
    assert task.metadata == {a.Metadata("owner", "team"), a.Metadata("tier", "web")}
    assert task.partitionPolicy == a.PartitionPolicy(reschedule=False, delaySecs=30)
    assert task.slaPolicy == a.SlaPolicy(countSlaPolicy=a.CountSlaPolicy(2, 1800))
    assert task.container == a.Container(mesos=a.MesosContainer(
        image=a.Image(docker=a.DockerImage("library/web", "1.2")),
        volumes=[a.Volume("/data", "/srv/data", a.Mode.RO)]))
    assert task.taskLinks == {}                                   # ignored, as upstream
    data = json.loads(task.executorConfig.data)
    procs = {p["name"]: p for p in data["task"]["processes"]}
    assert set(procs) == {"setup", "server", "sidecar", "cleanup"}
    assert procs["setup"]["cmdline"] == "echo setting up 2.5"       # include + struct bind
    assert procs["server"]["cmdline"] == (
        "serve --port {{thermos.ports[http]}} --admin {{thermos.ports[admin]}} -server "
        "-Xmx 512m -v --verbose --level 3 --fast")
    assert procs["server"]["daemon"] is True and procs["sidecar"]["ephemeral"] is True
    assert procs["cleanup"]["final"] is True
    assert procs["cleanup"]["cmdline"] == "echo bye from {{mesos.instance}}"
    assert procs["server"]["logger"] == {"destination": "both", "mode": "rotate",
                                         "rotate": {"log_size": 10 * MB, "backups": 3}}
    assert {"order": ["setup", "server"]} in data["task"]["constraints"]   # concat
    assert data["task"]["max_concurrency"] == 2 and data["task"]["finalization_wait"] == 10
    assert data["announce"]["zk_path"] == "/aurora/everything"
    assert data["health_check_config"]["health_checker"] == {
        "shell": {"shell_command": "true"}}
    assert data["sla_policy"] == {"count": 2, "duration_secs": 1800}
    update = json.loads(config.job.update_config().json_dumps())
    assert update["update_strategy"] == {"batch_sizes": [1, 2], "autopause_after_batch": False}


def test_everything_other_jobs():
    a = api()
    batch = load(EVERYTHING, "devcluster/www-data/test/batch").thrift.taskConfig
    assert batch.container == a.Container(docker=a.DockerContainer(
        image="busybox", parameters=[a.DockerParameter("env", "A=1")]))
    assert batch.executorConfig == a.ExecutorConfig(name="CustomExecutor", data='{"x": 1}')
    assert a.Resource(numCpus=2.0) in batch.resources            # combine adds up
    assert batch.slaPolicy.percentageSlaPolicy == a.PercentageSlaPolicy(95.0, 60)
    warnings: list[str] = []
    legacy = load(EVERYTHING, "devcluster/www-data/test/legacy", warn=warnings.append).thrift
    assert legacy.cronSchedule == "*/15 * * * *"
    assert legacy.cronCollisionPolicy == a.CronCollisionPolicy.CANCEL_NEW
    assert legacy.taskConfig.tier == "preferred"                 # production=True → preferred
    assert legacy.taskConfig.container.docker.image == "old"     # legacy Container(docker=)
    assert legacy.taskConfig.slaPolicy.coordinatorSlaPolicy.statusKey == "drain"
    assert any("'production' is deprecated" in w for w in warnings)
    appc = load(EVERYTHING, "devcluster/www-data/test/appc").thrift.taskConfig
    assert appc.container.mesos.image.appc == a.AppcImage("appc/img", "sha512-abc")
    data = json.loads(appc.executorConfig.data)
    assert data["task"]["constraints"] == [{"order": ["x", "y"]}]
    assert data["lifecycle"] == {}


# -- loader features ------------------------------------------------------------------------
def test_bindings_json_files_and_key_selection(tmp_path):
    text = ("jobs = [Service(cluster='devcluster', role='www-data', environment='{{env}}', "
            "name='svc', task=SimpleTask('svc', 'run {{flag}}'))]")
    path = write(tmp_path, text)
    config = load(path, "devcluster/www-data/staging/svc", "env=staging", "flag=1", "flag=2")
    assert json.loads(config.thrift.taskConfig.executorConfig.data)["task"]["processes"][0][
        "cmdline"] == "run 2"                                      # the later --bind wins
    doc = json.loads(config.job.json_dumps())
    single = write(tmp_path, json.dumps(doc), "job.json")
    assert load(single, "devcluster/www-data/staging/svc", read_json=True).thrift.key.name == \
        "svc"
    wrapped = write(tmp_path, json.dumps({"jobs": [doc]}), "jobs.json")
    assert load(wrapped, "devcluster/www-data/staging/svc", read_json=True).instances == 1
    bad = write(tmp_path, json.dumps({**doc, "colour": "red"}), "bad.json")
    with pytest.raises(ConfigError, match="Unknown schema attribute colour"):
        load(bad, "devcluster/www-data/staging/svc", read_json=True)
    with pytest.raises(ConfigError, match="not valid JSON"):
        load(path, "devcluster/www-data/staging/svc", read_json=True)


def test_mesos_and_thermos_aliases_are_bound(tmp_path):
    path = write(tmp_path, job_text("Process(name='p', cmdline='{{mesos.role}} "
                                    "{{mesos.cluster}} {{thermos.user}}')"))
    data = json.loads(load(path, "devcluster/www-data/test/x").thrift.taskConfig
                      .executorConfig.data)
    assert data["task"]["processes"][0]["cmdline"] == "www-data devcluster www-data"


def test_include_is_relative_to_the_including_file(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "inner.aurora").write_text("NAME = 'inc'\n")
    (tmp_path / "lib" / "outer.aurora").write_text("include('inner.aurora')\n")
    path = write(tmp_path, "include('lib/outer.aurora')\n" + job_text().replace(
        "name='x'", "name=NAME"))
    assert load(path, "devcluster/www-data/test/inc").thrift.key.name == "inc"


# -- every validation error --------------------------------------------------------------
def test_syntax_error_names_file_and_line(tmp_path):
    fails(tmp_path, "x = 1\ny = (\n", "job.aurora:2: invalid Python syntax")


def test_python2_print_statement_is_a_clear_syntax_error(tmp_path):
    fails(tmp_path, "print 'hello'\n", "job.aurora:1: invalid Python syntax",
          "Missing parentheses")


def test_exception_trimmed_to_job_file_frames(tmp_path):
    fails(tmp_path, "def f():\n    return {}['missing']\n\njobs = [f()]\n",
          "job.aurora:2: KeyError: 'missing'")


def test_missing_file_and_missing_include(tmp_path):
    with pytest.raises(ConfigError, match="Could not load resource"):
        load(tmp_path / "absent.aurora", "devcluster/www-data/test/x")
    fails(tmp_path, "include('nope.aurora')\n", "Could not load resource", "nope.aurora")


def test_no_jobs_and_jobs_of_the_wrong_type(tmp_path):
    fails(tmp_path, "x = 1\n", "No job defined in this config!")
    fails(tmp_path, "jobs = Job()\n", "'jobs' must be a list")
    fails(tmp_path, "jobs = [1]\n", "jobs[0] is a int, not a Job")


def test_no_match_lists_the_keys_and_several_matches(tmp_path):
    text = fails(tmp_path, job_text(), "Could not find job devcluster/www-data/test/y",
                 key="devcluster/www-data/test/y")
    assert "devcluster/www-data/test/x" in text
    fails(tmp_path, f"{job_text()}\njobs = jobs + jobs\n", "Multiple jobs match")


@pytest.mark.parametrize("job_extra,message", [
    (", instances='many'", "many"),
    (", priority='high'", "high"),
])
def test_wrong_types(tmp_path, job_extra, message):
    fails(tmp_path, job_text(job_extra=job_extra), message)


def test_required_field_missing(tmp_path):
    fails(tmp_path, job_text(procs="Process(name='p')"), "cmdline", "required")
    fails(tmp_path, "jobs = [Job(cluster='devcluster', role='www-data', environment='test', "
                    "name='x')]", "task is required")


def test_unbound_variable(tmp_path):
    fails(tmp_path, job_text(procs="Process(name='p', cmdline='run {{version}}')"),
          "Config contains unbound variables: version", "--bind")


def test_resources_out_of_range(tmp_path):
    fails(tmp_path, job_text(ram="0"), "Task has invalid resources", "ram 0 MB")
    fails(tmp_path, job_text(ram="512*1024"), "ram 0 MB")           # under 1 MiB floors to 0
    fails(tmp_path, job_text().replace("cpu=1", "cpu=-1"), "cpu -1")


def test_invalid_cron_schedule(tmp_path):
    fails(tmp_path, job_text(job_extra=", cron_schedule='every day'"),
          "invalid cron schedule 'every day'")
    fails(tmp_path, job_text(job_extra=", cron_schedule='* * * * *', "
                                       "cron_collision_policy='SOMETIMES'"),
          "Invalid cron_collision_policy")


def test_duplicate_process_names(tmp_path):
    fails(tmp_path, job_text(procs="Process(name='p', cmdline='a'), "
                                   "Process(name='p', cmdline='b')"),
          "duplicate process name 'p'")


def test_order_on_unknown_process_and_cycles(tmp_path):
    fails(tmp_path, job_text(task_extra=", constraints=order('p', 'ghost')"),
          "names unknown process 'ghost'")
    fails(tmp_path, job_text(procs="Process(name='a', cmdline='a'), "
                                   "Process(name='b', cmdline='b')",
                             task_extra=", constraints=order('a', 'b') + order('b', 'a')"),
          "Cycles detected")


def test_bad_identifiers_process_names_and_ports(tmp_path):
    fails(tmp_path, job_text(procs="Process(name='.hidden', cmdline='a')"),
          "Invalid process name: .hidden")
    fails(tmp_path, job_text(procs="Process(name='p', cmdline='{{thermos.ports.http}}')"),
          'Bad port specification "thermos.ports.http"')


def test_update_config_and_static_ports(tmp_path):
    fails(tmp_path, job_text(job_extra=", instances=2, update_config=UpdateConfig("
                                       "max_total_failures=2)"),
          "max_total_failures in update_config must be lesser than the job size")
    fails(tmp_path, job_text(job_extra=", update_config=UpdateConfig(batch_size=0)"),
          "Batch size should be greater than 0")
    fails(tmp_path, job_text(job_extra=", announce=Announcer(portmap={'http': '80'})"),
          "Job must be dedicated in order to specify static ports!")


# -- helpers ------------------------------------------------------------------------------
def test_order_and_sequential_task():
    a, b = Process(name="a", cmdline="a"), Process(name="b", cmdline="b")
    assert order(a, "b")[0].order().get() == ("a", "b")
    with pytest.raises(ValueError, match="Unknown value for process order"):
        order(1)
    seq = SequentialTask(processes=[a, b])
    assert [c.order().get() for c in seq.constraints()] == [("a", "b")]
    with pytest.raises(ValueError, match="existing constraints"):
        SequentialTask(processes=[a, b], constraints=order(a, b))


def test_simple_combine_and_concat():
    simple = SimpleTask("s", "echo s")
    assert dict(simple.resources().get()) == {"cpu": 1.0, "ram": GB, "disk": GB, "gpu": 0}
    one = Task(name="one", processes=[Process(name="a", cmdline="a")],
               resources=Resources(cpu=1, ram=2 * MB, disk=3 * MB), finalization_wait=5)
    two = Task(name="two", processes=[Process(name="b", cmdline="b")],
               resources=Resources(cpu=2, ram=1 * MB, disk=1 * MB), finalization_wait=7)
    combined = combine_tasks(one, two)
    assert combined.name().get() == "two"                        # the last task's identity
    assert dict(combined.resources().get()) == {"cpu": 3.0, "ram": 3 * MB, "disk": 4 * MB, "gpu": 0}
    assert combined.finalization_wait().get() == 7
    staged = concat_tasks(one, two, name="staged")
    assert staged.name().get() == "staged"
    assert dict(staged.resources().get()) == {"cpu": 2.0, "ram": 2 * MB, "disk": 3 * MB, "gpu": 0}
    assert staged.finalization_wait().get() == 12
    assert [c.order().get() for c in staged.constraints()] == [("a", "b")]
    assert not combine_tasks().has_processes()


def test_option_rendering():
    assert java_options("server", {"Xmx": "1g"}, verbose=None) == "-server -Xmx 1g -verbose"
    assert python_options("v", {"level": 3}, q=None) == "-v --level 3 -q"
