"""`job diff`: how a job file differs from the job that is running."""

from __future__ import annotations

from typing import Any

from aurora import options as opt
from aurora.command import CommandOption, Context, Verb
from aurora.config_diff import external_diff, render_task
from aurora.errors import ExitCode
from aurora.jobkey import parse_job_key
from aurora.jobs import load_config
from aurora.output import Result


def ranges_text(groups: Any) -> str:
    ranges = sorted((r.first, r.last) for g in groups or [] for r in g.instances or [])
    return ", ".join(f"[{a}]" if a == b else f"[{a}-{b}]" for a, b in ranges)


class DiffJob(Verb):
    name = "diff"
    help = "Compare a job file with the job that is running."
    options = (opt.BIND, opt.READ_JSON,
               CommandOption("--from", dest="from_key", type=parse_job_key, default=None,
                             metavar="CLUSTER/ROLE/ENV/NAME",
                             help="compare against this running job instead"),
               opt.INSTANCE_SPEC, opt.CONFIG_FILE)

    def execute(self, context: Context) -> Result:
        from aurora.api.client import Refusal
        from aurora.api.idl import api

        a = api()
        o = context.options
        key = o.instance_spec.job
        config = load_config(context, key, o.config_file, o.bindings, o.read_json)
        remote_key = o.from_key or key
        client = context.scheduler(remote_key.cluster)
        local = client.populate_job_config(config.thrift, refused=Refusal(
            "Error loading configuration:", ExitCode.INVALID_CONFIGURATION)).taskConfig
        local.job = a.JobKey(role=remote_key.role, environment=remote_key.env,
                             name=remote_key.name)
        instances = o.instance_spec.instances
        settings = a.JobUpdateSettings(updateOnlyTheseInstances={
            a.Range(first=i, last=i) for i in instances} if instances else None)
        request = a.JobUpdateRequest(taskConfig=local, instanceCount=config.instances,
                                     settings=settings)
        refused = Refusal("Error getting diff info from scheduler:", ExitCode.COMMAND_FAILURE)
        diff = client.result(client.call("getJobUpdateDiff", request, refused=refused),
                             "getJobUpdateDiff", "getJobUpdateDiffResult")
        lines = ["This job update will:"]
        for label, groups in (("add instances:", diff.add), ("remove instances:", diff.remove)):
            if groups:
                lines.append(f"{label} {ranges_text(groups)}")
        for group in sorted(diff.update or [], key=lambda g: min(r.first for r in g.instances)):
            lines += [f"update instances: {ranges_text([group])}", "with diff:", "",
                      external_diff(render_task(group.config), render_task(local)).rstrip("\n"),
                      ""]
        if diff.unchanged:
            lines.append(f"not change instances: {ranges_text(diff.unchanged)}")
        data = {name: [[r.first, r.last] for g in groups or [] for r in g.instances]
                for name, groups in (("add", diff.add), ("remove", diff.remove),
                                     ("update", diff.update), ("unchanged", diff.unchanged))}
        return Result(data=data, text="\n".join(lines) + "\n")
