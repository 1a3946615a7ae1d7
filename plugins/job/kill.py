"""`job kill`: kill some instances of a job; the batching `job killall` shares."""

from __future__ import annotations

from typing import Any

from aurora import options as opt
from aurora.command import Context, Verb
from aurora.errors import InvalidParameter
from aurora.output import Result
from aurora.plugins.job.common import KILL_OPTIONS, finish, has_sla_policy, kill
from aurora.tasks import active_instances_or_raise, active_tasks


class KillJob(Verb):
    name = "kill"
    changes_state = True
    help = "Kill some instances of a job (use killall for all of them)."
    options = (*KILL_OPTIONS, opt.STRICT, opt.INSTANCE_SPEC)

    def execute(self, context: Context) -> Result:
        spec: Any = context.options.instance_spec
        if spec.instances is None:
            raise InvalidParameter("The instances list cannot be omitted in a kill command",
                                   hint=f"to kill every instance run: aurora job killall "
                                        f"{spec.job}")
        client = context.scheduler(spec.job.cluster)
        tasks = active_tasks(client, spec.job)        # one read: SLA, --strict and the kill
        if has_sla_policy(tasks):
            context.print_stderr("WARNING: Killing instances without updating SlaPolicy.")
        if context.options.strict:
            active_instances_or_raise(client, spec.job, spec.instances, tasks)
        killed, report = kill(context, spec.job, list(spec.instances), tasks)
        return finish(context, spec.job, killed, report, "kill")
