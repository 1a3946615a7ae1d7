"""`job inspect`: how a job file's job is understood, without creating anything."""

from __future__ import annotations

import json
from typing import Any

from aurora import options as opt
from aurora.command import CommandOption, Context, Verb
from aurora.jobs import load_config
from aurora.output import Result
from aurora.thrift_json import thrift_json


def inspect_text(job: Any, thrift: Any) -> str:
    """The human summary of a job, laid out as upstream prints it."""
    from aurora.config.loader import field_value as _v

    job = job.interpolate()[0]
    out = ["Job level information", f"  name:       '{_v(job, 'name')}'",
           f"  role:       '{_v(job, 'role')}'"]
    if job.has_contact():
        out.append(f"  contact:    '{_v(job, 'contact')}'")
    out += [f"  cluster:    '{_v(job, 'cluster')}'", f"  instances:  '{_v(job, 'instances')}'"]
    if job.has_cron_schedule():
        out += ["  cron:", f"    schedule: '{_v(job, 'cron_schedule')}'",
                f"    policy:   '{_v(job, 'cron_collision_policy')}'"]
    if job.has_constraints():
        out.append("  constraints:")
        out += [f"    '{k}': '{v}'" for k, v in job.constraints().get().items()]
    if job.has_partition_policy():
        pp = job.partition_policy()
        out += ["  partition_policy:", f"    reschedule: {bool(_v(pp, 'reschedule'))}",
                f"    delay_secs: '{_v(pp, 'delay_secs')}'"]
    out += [f"  service:    {bool(thrift.taskConfig.isService)}",
            f"  production: {bool(thrift.taskConfig.production)}", "",
            "Task level information", f"  name: '{_v(job.task(), 'name')}'"]
    constraints = [c.order().get() for c in job.task().constraints()]
    if constraints:
        out.append("  constraints:")
        out += ["  " + " < ".join(str(n) for n in order) for order in constraints]
    out.append("")
    for proc in job.task().processes():
        out.append(f"Process '{_v(proc, 'name')}':")
        for flag in ("daemon", "ephemeral", "final"):
            if _v(proc, flag):
                out.append(f"  {flag}")
        out.append("  cmdline:")
        out += [f"    {line}" for line in str(_v(proc, "cmdline")).splitlines()]
        out.append("")
    return "\n".join(out) + "\n"


class InspectJob(Verb):
    name = "inspect"
    help = "Show how a job file's job is understood, without creating anything."
    options = (opt.BIND, opt.READ_JSON,
               CommandOption("--raw", action="store_true", default=False,
                             help="show the thrift JobConfiguration that would be sent"),
               opt.JOBSPEC, opt.CONFIG_FILE)

    def execute(self, context: Context) -> Result:
        o = context.options
        config = load_config(context, o.jobspec, o.config_file, o.bindings, o.read_json)
        if o.raw:
            data = thrift_json(config.thrift)
            return Result(data=data, text=json.dumps(data, indent=2, sort_keys=True) + "\n")
        data = json.loads(config.job.json_dumps())
        return Result(data=data, text=inspect_text(config.job, config.thrift))
