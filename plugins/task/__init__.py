"""The `task` noun: reach into running tasks over ssh (run, ssh, scp, logs).

Each verb lives in the module named after it; `sandbox.py` holds what they
share (finding tasks, their hosts and sandboxes, templating commands).
"""

from __future__ import annotations

from typing import Any

from aurora.command import Noun
from aurora.hookspecs import hookimpl


class TaskNoun(Noun):
    name = "task"
    help = ("Work with running tasks: run commands in, ssh into, copy files to and read "
            "the logs of sandboxes.")


@hookimpl
def register_nouns(cli: Any) -> None:
    cli.register_noun(TaskNoun().with_lazy_verbs("aurora.plugins.task", {
        "run": "run:RunCommand", "ssh": "ssh:SshToTask", "scp": "scp:CopyFiles",
        "logs": "logs:TaskLogs"}))
