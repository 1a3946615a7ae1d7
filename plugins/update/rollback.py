"""`update rollback`: turn the job's active update around, back to the old version."""

from __future__ import annotations

from aurora.command import CommandOption, Context
from aurora.output import Result, emit
from aurora.plugins.update.common import (
    JOBSPEC,
    MESSAGE,
    ROLLBACK_OUTCOMES,
    SteerUpdate,
    wait_for_update,
)


class RollbackUpdate(SteerUpdate):
    name = "rollback"
    help = "Roll the job's active update back to the configuration it started from."
    description = (help + " With --wait, --timeout SECONDS stops waiting (exit 9) and Ctrl-C "
                   "stops waiting (exit 130); neither touches the update.")
    method = "rollbackJobUpdate"
    word = "rollback"
    done = "Update rollback has started."
    options = (JOBSPEC, MESSAGE,
               CommandOption("--wait", action="store_true", default=False,
                             help="wait until the rollback ends, showing its progress"))

    def execute(self, context: Context) -> Result:
        if not context.options.wait:
            return super().execute(context)
        key, found = self.steer(context)
        if context.output_format == "text":
            emit(self.done)              # said before the (long) wait, as upstream does
        waited = wait_for_update(context, key, found, ROLLBACK_OUTCOMES)
        return Result(data={**waited.data, "action": self.word}, text=waited.text,
                      exit_code=waited.exit_code)
