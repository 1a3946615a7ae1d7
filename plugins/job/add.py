"""`job add`: grow a job by copying the configuration of one of its instances."""

from __future__ import annotations

from aurora import options as opt
from aurora.command import CommandOption, Context, Verb
from aurora.config.aurora_config import AuroraJobKey
from aurora.job_file_hooks import hooked
from aurora.jobkey import check_instance_count, parse_task_instance
from aurora.jobs import thrift_key
from aurora.output import Result
from aurora.plugins.job.common import has_sla_policy, wait_states
from aurora.tasks import StateProgress, active_instances_or_raise, active_tasks, wait_for
from aurora.weblinks import job_page, open_in_browser


class AddInstances(Verb):
    name = "add"
    changes_state = True
    help = "Add instances to a job, copying the configuration of one of its instances."
    options = (opt.OPEN_BROWSER, opt.BIND, opt.WAIT_UNTIL, opt.CONFIG, opt.READ_JSON,
               CommandOption("task_instance", metavar="CLUSTER/ROLE/ENV/NAME/INSTANCE",
                             type=parse_task_instance,
                             help="the instance whose configuration the new ones copy"),
               CommandOption("instance_count", type=int, metavar="COUNT",
                             help="how many instances to add"))

    def execute(self, context: Context) -> Result:
        from aurora.api.idl import api

        o = context.options
        key, instance = o.task_instance
        check_instance_count(o.instance_count)
        client = context.scheduler(key.cluster)
        tasks = active_tasks(client, key)         # one read: the instance check and SLA
        active = active_instances_or_raise(client, key, [instance], tasks)
        start = max(active) + 1
        if has_sla_policy(tasks):
            context.print_stderr("WARNING: Adding instances without updating SlaPolicy.")
        context.print_stderr(f"Adding {o.instance_count} instances to {key} using the task "
                             f"config of instance {instance}")
        hooked(context, None, AuroraJobKey.of(key), "add_instances",
               (AuroraJobKey.of(key), instance, o.instance_count), {"config": None},
               lambda: client.add_instances(
                   api().InstanceKey(jobKey=thrift_key(key), instanceId=instance),
                   o.instance_count))
        new = list(range(start, start + o.instance_count))
        url = job_page(context, key)
        if o.open_browser:
            open_in_browser(url)
        if o.wait_until != "PENDING":
            progress = StateProgress(o.wait_until, len(new))
            try:
                wait_for(client, key, new, wait_states(o.wait_until), progress=progress)
            finally:
                progress.close()
        return Result(data={"job": str(key), "added": new}, text="")
