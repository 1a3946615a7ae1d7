"""`update wait`: watch an update until it ends (the watching lives in common.py, shared
with `update start --wait` and `update rollback --wait`)."""

from __future__ import annotations

from aurora.command import Context, Verb
from aurora.jobkey import JobKey
from aurora.output import Result
from aurora.plugins.update.common import (
    FORWARD_OUTCOMES,
    JOBSPEC,
    UPDATE_ID,
    active_update,
    update_key,
    wait_for_update,
)


class WaitUpdate(Verb):
    name = "wait"
    help = "Wait for an update to end, showing its progress (default: the active update)."
    description = (help + " --timeout SECONDS stops waiting (exit 9); Ctrl-C stops waiting "
                   "(exit 130). Neither touches the update.")
    options = (JOBSPEC, UPDATE_ID)

    def execute(self, context: Context) -> Result:
        o = context.options
        key: JobKey = o.jobspec
        found = update_key(key, o.id) if o.id else active_update(context, key)
        return wait_for_update(context, key, found, FORWARD_OUTCOMES)
