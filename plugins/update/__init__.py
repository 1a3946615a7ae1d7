"""The `update` noun: start, pause, resume, abort, rollback, list, info, wait.

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
    from aurora.plugins.update.abort import AbortUpdate
    from aurora.plugins.update.info import InfoUpdate
    from aurora.plugins.update.list import ListUpdates
    from aurora.plugins.update.pause import PauseUpdate
    from aurora.plugins.update.resume import ResumeUpdate
    from aurora.plugins.update.rollback import RollbackUpdate
    from aurora.plugins.update.start import StartUpdate
    from aurora.plugins.update.wait import WaitUpdate

    cli.register_noun(UpdateNoun().with_verbs(
        StartUpdate(), PauseUpdate(), ResumeUpdate(), AbortUpdate(), RollbackUpdate(),
        ListUpdates(), InfoUpdate(), WaitUpdate()))
