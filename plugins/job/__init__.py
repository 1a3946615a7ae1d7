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
    cli.register_noun(JobNoun().with_lazy_verbs("aurora.plugins.job", {
        "create": "create:CreateJob", "status": "status:StatusJob", "kill": "kill:KillJob",
        "killall": "killall:KillAllJob", "restart": "restart:RestartJob",
        "list": "list:ListJobs", "diff": "diff:DiffJob", "inspect": "inspect:InspectJob",
        "open": "open:OpenJob", "add": "add:AddInstances"}))
