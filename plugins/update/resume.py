"""`update resume`: continue the job's paused update."""

from __future__ import annotations

from aurora.plugins.update.common import SteerUpdate


class ResumeUpdate(SteerUpdate):
    name = "resume"
    help = "Resume the job's paused update."
    method = "resumeJobUpdate"
    word = "resume"
    done = "Update has been resumed."
