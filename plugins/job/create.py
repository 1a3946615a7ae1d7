"""`job create`: start a job from its job file."""

from __future__ import annotations

from aurora import options as opt
from aurora.command import Context, Verb
from aurora.errors import CommandFailure, ExitCode
from aurora.job_file_hooks import hook_view, hooked
from aurora.jobs import load_config, thrift_key
from aurora.output import Result
from aurora.plugins.job.common import wait_states
from aurora.tasks import StateProgress, wait_for
from aurora.weblinks import job_page, open_in_browser


class CreateJob(Verb):
    name = "create"
    changes_state = True
    help = "Create a job from a job file and start its tasks."
    options = (opt.BIND, opt.READ_JSON, opt.WAIT_UNTIL, opt.OPEN_BROWSER, opt.JOBSPEC,
               opt.CONFIG_FILE)

    def execute(self, context: Context) -> Result:
        from aurora.api.client import Refusal
        from aurora.api.idl import api

        o = context.options
        key = o.jobspec
        config = load_config(context, key, o.config_file, o.bindings, o.read_json)
        if config.thrift.cronSchedule:
            raise CommandFailure('Cron jobs may only be scheduled with "aurora cron schedule" '
                                 "command", hint=f"run: aurora cron schedule {key} "
                                                 f"{o.config_file}")
        client = context.scheduler(key.cluster)
        context.print_stderr(f"Creating job {key.name}")
        view = hook_view(config)
        refused = Refusal("Job creation failed due to error:", ExitCode.COMMAND_FAILURE)
        hooked(context, view, None, "create_job", (view,), {},
               lambda: client.create_job(view.job(), refused=refused))
        url = job_page(context, key)
        if o.open_browser:
            open_in_browser(url)
        seen: dict[int, object] = {}
        if o.wait_until != "PENDING":          # its last poll shows whether the job exists
            progress = StateProgress(o.wait_until, config.instances)
            try:
                wait_for(client, key, None, wait_states(o.wait_until), seen=seen,
                         progress=progress)
            finally:
                progress.close()
        else:   # one task is enough to know the job exists; the scheduler honours the limit
            query = api().TaskQuery(jobKeys=[thrift_key(key)], limit=1)
            seen = dict(enumerate(client.get_tasks_without_configs(query)))
        if not seen:
            raise CommandFailure(f"Error occurred while creating job {key}",
                                 hint=f"see what the scheduler has with: aurora job status {key}")
        return Result(data={"job": str(key), "url": url, "instances": config.instances},
                      text=f"Job create succeeded: job url={url}\n")
