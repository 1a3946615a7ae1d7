"""Checks a picked job must pass before anything is sent.

Each check raises `ConfigError` (exit 3) with a message naming the job file,
the job and the field, and saying how to fix it. Warnings (deprecated
`production`, an announced port nobody uses) go to the `warn` callback.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import cached_property
from typing import Any

from aurora.config.convert import ports_in, process_ports
from aurora.config.loader import ConfigError, field_value, one_line
from aurora.jobkey import MAX_INSTANCES, identifier_problem

# Names the executor fills in; the client leaves them in the payload.
EXECUTOR_REFS = re.compile(r"^(mesos\.instance|mesos\.hostname|thermos\.task_id|"
                           r"thermos\.user|thermos\.ports\[[^\]]+\])$")
NESTED = re.compile(r"\{\{[^}]*\{\{")    # a template inside a template
BAD_PORT_REF = re.compile(r"\{\{\s*(thermos\.ports(?!\[)[^}]*)\}\}")
PROCESS_NAME = re.compile(r"^[^./][^/]*$")     # Thermos' process name pattern
# A process name is a directory of the sandbox (NAME_MAX); a cmdline is one argument
# of `bash -c` on the agent (Linux's MAX_ARG_STRLEN, less its NUL).
MAX_PROCESS_NAME_BYTES = 255
MAX_CMDLINE_BYTES = 128 * 1024 - 1


class JobValidator:
    def __init__(self, path: str, job: Any, warn: Callable[[str], None]):
        self.path = path
        self.job = job
        self.warn = warn
        self.name = str(job.name().interpolate()[0])

    def fail(self, message: str, hint: str | None = None) -> None:
        raise ConfigError(f"{self.path}: job {self.name}: {message}", hint=hint)

    def run(self) -> None:
        try:
            self.checks()
        except ConfigError:
            raise
        except Exception as exc:   # pystachio coercion and similar: still one clear line
            self.fail(one_line(f"{type(exc).__name__}: {exc}"),
                      hint="a value has the wrong type for its field")

    def checks(self) -> None:
        self.required_parts()
        self.type_check()
        self.unbound_refs()
        self.nested_refs()
        self.identifiers()
        self.resources()
        self.processes()
        self.update_config()
        self.health_check()
        self.announce()
        self.cron()

    def required_parts(self) -> None:
        for part in ("cluster", "role", "environment", "task"):
            if not getattr(self.job, f"has_{part}")():
                self.fail(f"{part} is required", hint=f"set {part} = ... in the Job")
        if not self.job.task().processes().get():
            self.fail("the task has no processes",
                      hint="give the Task processes = [Process(...), ...]")

    @cached_property
    def interpolated(self) -> tuple[Any, list[Any]]:
        """The job interpolated as far as the client can, and the refs left (computed once)."""
        return self.job.interpolate()

    @cached_property
    def text(self) -> str:
        return self.job.json_dumps()

    @cached_property
    def _with_executor_names(self) -> Any:
        ports = {name: 30000 + i for i, name in enumerate(sorted(self.port_names()))}
        return self.job.bind({"mesos.instance": 31337, "mesos.hostname": "",
                              "thermos.task_id": "dummy-task", "thermos.user": "dummy"},
                             thermos={"ports": ports})

    def type_check(self) -> None:
        check = self._with_executor_names.check()
        if not check.ok():
            self.fail(check.message().replace("TypeCheck(FAILED): ", ""),
                      hint="a required field is missing or a value has the wrong type")

    def port_names(self) -> set[str]:
        """Every port referenced anywhere in the job, template names resolved."""
        return ports_in(self.interpolated[1])

    def unbound_refs(self) -> None:
        bad = BAD_PORT_REF.search(self.text)
        if bad:
            self.fail(f'Bad port specification "{bad.group(1).strip()}" (should be of form '
                      '"thermos.ports[name]")')
        names = {r.address() for r in self.interpolated[1]}
        unbound = sorted(n for n in names if not EXECUTOR_REFS.match(n))
        if unbound:
            self.fail(f"Config contains unbound variables: {' '.join(unbound)}",
                      hint="bind them with --bind name=value or .bind(name=...) in the file")

    def nested_refs(self) -> None:
        """A template inside a reference that only the executor can resolve never resolves.

        `{{a[{{mesos.instance}}]}}` looks fine here (only `mesos.instance` is
        left); with the executor's names filled in, `a[31337]` remains.
        """
        if not NESTED.search(self.text):
            return
        _, refs = self._with_executor_names.task().interpolate()
        left = sorted({r.address() for r in refs if not EXECUTOR_REFS.match(r.address())})
        if left:
            self.fail(f"Task is invalid: Unexpected unbound refs: {' '.join(left)}. Make sure "
                      "you are not nesting template variables.",
                      hint="the inner variable is only known on the agent; compute the value "
                           "another way")

    def identifiers(self) -> None:
        for part in ("role", "environment", "name"):
            value = str(field_value(self.interpolated[0], part))
            problem = identifier_problem(part, value)
            if problem:
                self.fail(problem,
                          hint="use at most 255 letters, digits, '_', '-' and '.'")

    def resources(self) -> None:
        task = self.job.task()
        if not task.has_resources():
            self.fail("Task must specify resources!",
                      hint="resources = Resources(cpu=..., ram=...*MB, disk=...*MB)")
        res = task.resources()
        cpu, ram, disk = (field_value(res, f) for f in ("cpu", "ram", "disk"))
        ram_mb, disk_mb = int(ram) // (1024 * 1024), int(disk) // (1024 * 1024)
        if not math.isfinite(float(cpu)):
            self.fail(f"Task has invalid resources: cpu must be a finite number, got {cpu}")
        if float(cpu) <= 0 or ram_mb <= 0 or disk_mb <= 0:
            self.fail(f"Task has invalid resources: cpu, ram and disk must all be positive "
                      f"(cpu {cpu}, ram {ram_mb} MB, disk {disk_mb} MB)",
                      hint="ram and disk are in bytes: write ram = 128*MB")
        if int(field_value(res, "gpu")) < 0:
            self.fail("Task has invalid resources: gpu must not be negative")

    def processes(self) -> None:
        task = self.job.task()
        procs = {}
        for proc in task.processes():
            name = str(proc.name().interpolate()[0])
            if name in procs:
                self.fail(f"duplicate process name '{name}' in task",
                          hint="every process of a task needs its own name")
            if not PROCESS_NAME.match(name):
                self.fail(f"Invalid process name: {name}",
                          hint="process names may not start with '.' or contain '/'")
            self._runnable(name, str(proc.cmdline().interpolate()[0]))
            procs[name] = proc
        for constraint in task.constraints():
            names = [str(n) for n in constraint.order().get()]
            unknown = [n for n in names if n not in procs]
            if unknown:
                self.fail(f"ordering constraint {names} names unknown process "
                          f"'{unknown[0]}'", hint=f"known processes: {', '.join(procs)}")
            for before, after in zip(names, names[1:], strict=False):
                first, second = procs[before], procs[after]
                if field_value(first, "daemon"):
                    self.fail(f"Process {after} may not depend upon daemon process {before}")
                if field_value(first, "ephemeral") and not field_value(second, "ephemeral"):
                    self.fail(f"Non-ephemeral process {after} may not depend upon ephemeral "
                              f"process {before}")
        self._acyclic(procs, task)

    def _runnable(self, name: str, cmdline: str) -> None:
        """A process no agent could start: its name or command line breaks a system limit."""
        size = len(name.encode("utf-8", "surrogatepass"))
        if size > MAX_PROCESS_NAME_BYTES or "\0" in name:
            self.fail(f"process name '{name[:40]}...' is {size} bytes long or has a NUL byte",
                      hint=f"use a name of at most {MAX_PROCESS_NAME_BYTES} bytes")
        if "\0" in cmdline:
            self.fail(f"the cmdline of process '{name}' contains a NUL byte",
                      hint="a command line cannot carry NUL; write the data to a file")
        size = len(cmdline.encode("utf-8", "surrogatepass"))
        if size > MAX_CMDLINE_BYTES:
            self.fail(f"the cmdline of process '{name}' is {size} bytes long; at most "
                      f"{MAX_CMDLINE_BYTES} are allowed",
                      hint="put the script in a file and run that")

    def _acyclic(self, procs: dict[str, Any], task: Any) -> None:
        after: dict[str, set[str]] = {n: set() for n in procs}
        for constraint in task.constraints():
            names = [str(n) for n in constraint.order().get()]
            for before, later in zip(names, names[1:], strict=False):
                after[later].add(before)
        done: set[str] = set()
        visiting: set[str] = set()

        def visit(name: str) -> None:
            if name in done:
                return
            if name in visiting:
                self.fail("Cycles detected in the task schedule!",
                          hint="check the order(...) constraints")
            visiting.add(name)
            for dep in after[name]:
                visit(dep)
            visiting.discard(name)
            done.add(name)
        for name in procs:
            visit(name)

    def update_config(self) -> None:
        update = self.job.update_config()
        raw = self.job._schema_data.get("instances")        # before pystachio's int()
        value = getattr(raw, "_value", None)
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            self.fail(f"instances must be a whole number, got {value!r}",
                      hint="write instances = N with N a whole number")
        instances = int(field_value(self.job, "instances"))
        if not 0 < instances <= MAX_INSTANCES:
            self.fail(f"instances must be from 1 to {MAX_INSTANCES}, got {instances}")
        if int(field_value(update, "batch_size")) <= 0:
            self.fail("Batch size should be greater than 0",
                      hint="set update_config batch_size to 1 or more")
        max_total = int(field_value(update, "max_total_failures"))
        if max_total >= instances and instances > 0 and max_total > 0:
            self.fail("max_total_failures in update_config must be lesser than the job size",
                      hint=f"with {instances} instance(s) use max_total_failures <= "
                           f"{instances - 1}")
        if self.job.has_constraints() and "dedicated" in self.job.constraints().get():
            needed = instances * 2 // 100
            if max_total < needed:
                self.fail("a dedicated job must allow max_total_failures of at least 2% of "
                          f"its instances ({needed})",
                          hint=f"set update_config max_total_failures >= {needed}")
        if int(field_value(update, "watch_secs")) < 0:
            self.fail(f"Invalid value ({field_value(update, 'watch_secs')}) specified for "
                      "watch_secs. Value cannot be less than 0.")

    def health_check(self) -> None:
        health = self.job.health_check_config()
        for field_name in ("max_consecutive_failures", "min_consecutive_successes",
                           "initial_interval_secs", "interval_secs"):
            value = field_value(health, field_name)
            if float(value) < 0:
                self.fail(f"Invalid value ({value}) specified for {field_name}. Value cannot "
                          "be less than 0.")

    def announce(self) -> None:
        if not self.job.has_announce():
            return
        announce = self.job.announce()
        announce = announce.interpolate()[0]
        portmap = {str(k): str(v) for k, v in announce.portmap().get().items()}
        primary = str(field_value(announce, "primary_port"))
        if primary not in process_ports(self.job) and primary not in portmap:
            self.warn(f"{self.path}: job {self.name}: announce.primary_port '{primary}' is not "
                      f"used; reference it as {{{{thermos.ports[{primary}]}}}}")
        dedicated = self.job.has_constraints() and "dedicated" in self.job.constraints().get()
        if any(v.isdigit() for v in portmap.values()) and not dedicated:
            self.fail("Job must be dedicated in order to specify static ports!",
                      hint="add constraints = {'dedicated': 'ROLE/NAME'} or drop static ports")

    def cron(self) -> None:
        if not self.job.has_cron_schedule():
            return
        schedule = str(field_value(self.interpolated[0], "cron_schedule"))
        from croniter import croniter

        if not croniter.is_valid(schedule) or len(schedule.split()) != 5:
            self.fail(f"invalid cron schedule '{schedule}'",
                      hint="use five fields: minute hour day-of-month month day-of-week")
        if not can_fire(schedule):
            self.fail(f"cron schedule '{schedule}' can never fire: no date matches it",
                      hint="check its day of month against its month")
        policy = str(field_value(self.job, "cron_collision_policy")).upper()
        if policy not in ("KILL_EXISTING", "CANCEL_NEW", "RUN_OVERLAP"):
            self.fail(f"Invalid cron_collision_policy '{policy}'",
                      hint="use KILL_EXISTING, CANCEL_NEW or RUN_OVERLAP")


def can_fire(schedule: str) -> bool:
    """Whether a valid five-field schedule matches any date at all (`0 0 30 2 *` never
    does: the scheduler would hold a job that never runs)."""
    import time

    from croniter import CroniterBadDateError, croniter

    try:
        croniter(schedule, time.time()).get_next(float)
    except CroniterBadDateError:
        return False
    return True


def validate(path: str, job: Any, warn: Callable[[str], None]) -> None:
    JobValidator(path, job, warn).run()
