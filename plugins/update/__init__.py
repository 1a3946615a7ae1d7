"""The `update` noun: start, pause, resume, abort, rollback, undo, list, info, wait.

The scheduler runs updates; these verbs start, steer and watch them. Each verb
lives in the module named after it; common.py holds what they share.
"""

from __future__ import annotations

from typing import Any

from aurora.command import Noun
from aurora.hookspecs import hookimpl


class UpdateNoun(Noun):
    name = "update"
    help = "Roll jobs to a new configuration with scheduler-driven updates, and watch them."


@hookimpl
def register_nouns(cli: Any) -> None:
    cli.register_noun(UpdateNoun().with_lazy_verbs("aurora.plugins.update", {
        "start": "start:StartUpdate", "pause": "pause:PauseUpdate",
        "resume": "resume:ResumeUpdate", "abort": "abort:AbortUpdate",
        "rollback": "rollback:RollbackUpdate", "list": "list:ListUpdates",
        "info": "info:InfoUpdate", "wait": "wait:WaitUpdate", "undo": "undo:UndoUpdate"}))
