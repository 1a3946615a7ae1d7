"""`update abort`: end the job's active update, leaving each instance as it is now.

An abort can catch an instance between its old task's end and its new task's
start, and nothing will start it again. So after aborting, the command reads
the update and the job's active tasks once and says how many instances the
update was to keep running have no RUNNING task, and which command shows them.
"""

from __future__ import annotations

from typing import Any

from aurora.command import Context
from aurora.jobkey import JobKey, format_instances
from aurora.output import Result
from aurora.plugins.update.common import BACKWARD, SteerUpdate, details, status_name
from aurora.tasks import active_tasks, current_per_instance


def _ids(group: Any) -> set[int]:
    return {i for r in group.instances or [] for i in range(r.first, r.last + 1)} \
        if group is not None else set()


def meant_to_run(found: Any) -> set[int]:
    """The instances the update was to leave running in the direction it last went:
    its desired state's when rolling forward, its initial state's when rolling back."""
    instructions = found.update.instructions
    if instructions is None:
        return set()
    before = set().union(*(_ids(g) for g in instructions.initialState or []))
    after = _ids(instructions.desiredState)
    statuses = [status_name(e.status) for e in found.updateEvents or []]
    going_back = any(s in BACKWARD for s in statuses if s != "ABORTED")
    return before if going_back else after


def not_running(context: Context, key: JobKey, update_key: Any) -> list[int]:
    """Instances the aborted update leaves without a RUNNING task, now."""
    from aurora.api.idl import api

    wanted = meant_to_run(details(context, key, update_key))
    if not wanted:
        return []
    tasks = current_per_instance(active_tasks(context.scheduler(key.cluster), key, wanted))
    running = api().ScheduleStatus.RUNNING
    return sorted(i for i in wanted if i not in tasks or tasks[i].status != running)


class AbortUpdate(SteerUpdate):
    name = "abort"
    help = "Abort the job's active update; instances already updated keep the new version."
    description = (help + " Then says how many instances it left without a running task.")
    method = "abortJobUpdate"
    word = "abort"
    done = "Update has been aborted."

    def execute(self, context: Context) -> Result:
        key, found = self.steer(context)
        left = not_running(context, key, found)
        text = self.done + "\n"
        if left:
            text += (f"{len(left)} instance(s) have no running task now: "
                     f"{format_instances(left)}; see them with: aurora job status {key}\n")
        else:
            text += "Every instance the update was to keep has a running task.\n"
        return Result(data={"job": str(key), "id": found.id, "action": self.word,
                            "not_running": left}, text=text)
