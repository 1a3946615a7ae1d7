"""`update abort`: end the job's active update, leaving each instance as it is now."""

from __future__ import annotations

from aurora.plugins.update.common import SteerUpdate


class AbortUpdate(SteerUpdate):
    name = "abort"
    help = "Abort the job's active update; instances already updated keep the new version."
    method = "abortJobUpdate"
    word = "abort"
    done = "Update has been aborted."
