"""The `job` noun: create, status, kill, killall, restart, list, diff, inspect, open, add.

Each verb lives in the module named after what it does; this module only
registers them.
"""

from __future__ import annotations

from typing import Any

from aurora.command import Noun
from aurora.hookspecs import hookimpl


class JobNoun(Noun):
    name = "job"
    help = "Work with jobs: create, inspect, watch, kill and restart them."


@hookimpl
def register_nouns(cli: Any) -> None:
    from aurora.plugins.job.add import AddInstances
    from aurora.plugins.job.create import CreateJob
    from aurora.plugins.job.diff import DiffJob
    from aurora.plugins.job.inspect import InspectJob
    from aurora.plugins.job.kill import KillJob
    from aurora.plugins.job.killall import KillAllJob
    from aurora.plugins.job.list import ListJobs
    from aurora.plugins.job.open import OpenJob
    from aurora.plugins.job.restart import RestartJob
    from aurora.plugins.job.status import StatusJob

    cli.register_noun(JobNoun().with_verbs(
        CreateJob(), StatusJob(), KillJob(), KillAllJob(), RestartJob(), ListJobs(), DiffJob(),
        InspectJob(), OpenJob(), AddInstances()))
