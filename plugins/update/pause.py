"""`update pause`: stop the job's active update where it is; `update resume` continues it."""

from __future__ import annotations

from aurora.plugins.update.common import SteerUpdate


class PauseUpdate(SteerUpdate):
    name = "pause"
    help = "Pause the job's active update (it stays active; resume continues it)."
    method = "pauseJobUpdate"
    word = "pause"
    done = "Update has been paused."
