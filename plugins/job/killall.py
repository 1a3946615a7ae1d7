"""`job killall`: kill every instance of a job, batched as `job kill` does."""

from __future__ import annotations

from aurora import options as opt
from aurora.command import Context, Verb
from aurora.output import Result
from aurora.plugins.job.common import KILL_OPTIONS, finish, kill


class KillAllJob(Verb):
    name = "killall"
    changes_state = True
    help = "Kill every instance of a job."
    options = (*KILL_OPTIONS, opt.JOBSPEC)

    def execute(self, context: Context) -> Result:
        key = context.options.jobspec
        killed, report = kill(context, key, None)
        return finish(context, key, killed, report, "killall")
