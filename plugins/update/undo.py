"""`update undo`: start an update back to the configurations a finished update replaced.

The scheduler keeps, with every update, the configuration each replaced or
removed instance had before it (`JobUpdateInstructions.initialState`). Undo
starts one update per distinct earlier configuration, limited to that
configuration's instances (`updateOnlyTheseInstances`), one after another,
with the undone update's settings. Like `kubectl rollout undo`, which restores
a pod template and never changes the replica count, undo never kills an
instance: one the update added had no earlier configuration and is left as it
runs (the command names it and how to kill it); one the update removed had
one, and undo brings it back. Undoing the same update again (by its id) finds
nothing to change (`Noop update.`); undoing the latest update again undoes the
undo, as `kubectl rollout undo` run twice goes back and forth.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from typing import Any

from aurora.command import CommandOption, Context, Verb
from aurora.errors import CommandFailure, InvalidParameter
from aurora.jobkey import JobKey, format_instances
from aurora.jobs import thrift_key
from aurora.output import Result, emit
from aurora.plugins.update.common import (
    ACTIVE,
    CLIENT_ID_KEY,
    FORWARD_OUTCOMES,
    JOBSPEC,
    MESSAGE,
    details,
    diff_preview,
    start,
    started_key,
    status_name,
    summaries,
    update_key,
    update_url,
    wait_for_update,
)

UNDO_OF_KEY = "org.apache.aurora.client.undo_of"
UNDONE_ID = CommandOption("id", nargs="?", default=None, metavar="ID",
                          help="the update to undo (default: the job's latest update, "
                               "which must have ended)")


def ids_of(ranges: Any) -> list[int]:
    return sorted({i for r in ranges or [] for i in range(r.first, r.last + 1)})


@dataclass
class Plan:
    """What undoing one update takes: (earlier config, its instances) per group, in
    instance order, and the instances the update added (left alone)."""

    update_id: str
    groups: list[tuple[Any, list[int]]] = field(default_factory=list)
    added: list[int] = field(default_factory=list)


def plan(key: JobKey, found: Any) -> Plan:
    """The groups to restore from a finished update's details; exit 4 when the update
    is still active or replaced no instance."""
    from aurora.api.idl import canonical

    summary = found.update.summary
    status = status_name(summary.state.status)
    if status in ACTIVE:
        raise CommandFailure(
            f"update {summary.key.id} of {key} is still {status}: only an update that has "
            "ended can be undone",
            hint=f"wait for it with: aurora update wait {key} {summary.key.id}, or turn it "
                 f"back with: aurora update rollback {key}")
    instructions = found.update.instructions
    groups: dict[Any, tuple[Any, set[int]]] = {}
    for group in (instructions.initialState if instructions else None) or []:
        ids = set(ids_of(group.instances))
        if ids:
            form = canonical(group.task)
            groups.setdefault(form, (group.task, set()))[1].update(ids)
    desired = instructions.desiredState if instructions else None
    before = {i for _, ids in groups.values() for i in ids}
    added = sorted(set(ids_of(desired.instances if desired else None)) - before)
    if not groups:
        where = f"{key}/{format_instances(added)}" if added else str(key)
        raise CommandFailure(
            f"update {summary.key.id} of {key} replaced no instance (it only added some), "
            "so there is no earlier configuration to go back to",
            hint=f"to remove what it added run: aurora job kill {where}")
    ordered = sorted(((task, sorted(ids)) for task, ids in groups.values()),
                     key=lambda group: group[1][0])
    return Plan(summary.key.id, ordered, added)


def latest_update(context: Context, key: JobKey) -> Any:
    """The JobUpdateKey of the job's newest update (exit 6 when it has none)."""
    from aurora.api.idl import api

    found = summaries(context, key.cluster, api().JobUpdateQuery(jobKey=thrift_key(key)))
    if not found:
        raise InvalidParameter(f"there is no update of {key} to undo",
                               hint=f"see its updates with: aurora update list {key}")
    return max(found, key=lambda s: s.state.createdTimestampMs or 0).key


def undo_request(found: Any, task: Any, ids: list[int], client_id: str) -> Any:
    """A JobUpdateRequest giving `ids` back `task`, with the undone update's settings.

    The instance count reaches the highest id, so no instance in scope is removed;
    instances outside the scope are left alone whatever the count. Pulses are
    dropped: they belong to the coordinator that drove the undone update."""
    from aurora.api.idl import api

    a = api()
    stored = found.update.instructions.settings
    settings = copy.deepcopy(stored) if stored is not None else a.JobUpdateSettings(
        updateGroupSize=1, maxPerInstanceFailures=0, maxFailedInstances=0,
        minWaitInInstanceRunningMs=45_000, rollbackOnFailure=True,
        waitForBatchCompletion=False)
    settings.updateOnlyTheseInstances = {a.Range(first=f, last=t)
                                         for f, t in _ranges(ids)}
    settings.blockIfNoPulsesAfterMs = None
    return a.JobUpdateRequest(
        taskConfig=task, instanceCount=max(ids) + 1, settings=settings,
        metadata={a.Metadata(key=CLIENT_ID_KEY, value=client_id),
                  a.Metadata(key=UNDO_OF_KEY, value=found.update.summary.key.id)})


def _ranges(ids: list[int]) -> list[tuple[int, int]]:
    from aurora.jobkey import instance_ranges

    return instance_ranges(ids)


class UndoUpdate(Verb):
    name = "undo"
    help = "Undo an ended update: start an update back to the configurations it replaced."
    description = (help + " Without ID, the job's latest update. One update per earlier "
                   "configuration, one after another; "
                   "instances the update added are left running. With --wait, "
                   "--timeout SECONDS stops waiting (exit 9) and Ctrl-C stops waiting "
                   "(exit 130); neither touches the update.")
    options = (MESSAGE,
               CommandOption("--wait", action="store_true", default=False,
                             help="wait until the (last) update ends, showing its progress"),
               CommandOption("--no-diff", action="store_true", default=False,
                             help="do not ask for and print the preview of the changes"),
               JOBSPEC, UNDONE_ID)

    def execute(self, context: Context) -> Result:
        o = context.options
        key: JobKey = o.jobspec
        target = update_key(key, o.id) if o.id else latest_update(context, key)
        found = details(context, key, target)
        todo = plan(key, found)
        if todo.added:
            context.print_stderr(
                f"aurora: note: instance(s) {format_instances(todo.added)} did not exist before "
                f"update {todo.update_id} and are left as they run; remove them with: "
                f"aurora job kill {key}/{format_instances(todo.added)}")
        data: dict[str, Any] = {"job": str(key), "undoes": todo.update_id,
                                "left_alone": todo.added, "updates": []}
        text, code = "", 0
        for number, (task, ids) in enumerate(todo.groups, 1):
            last = number == len(todo.groups)
            entry, said, code = self.restore(context, key, found, task, ids,
                                             wait=o.wait or not last)
            data["updates"].append(entry)
            text = self.show(context, text + said, last)
            if code:
                self.stopped(context, key, todo, number)
                break
        return Result(data=data, text=text, exit_code=code)

    @staticmethod
    def show(context: Context, text: str, last: bool) -> str:
        """Text so far: written at once in text mode unless it is the end (the undo of
        the next group waits, and the reader should see what happened first)."""
        if last or context.output_format != "text":
            return text
        emit(text)
        return ""

    @staticmethod
    def stopped(context: Context, key: JobKey, todo: Plan, number: int) -> None:
        rest = [i for _, ids in todo.groups[number:] for i in ids]
        if rest:
            context.print_stderr(
                f"aurora: undo stopped: instance(s) {format_instances(rest)} not restored; "
                f"once the cause is fixed run again: aurora update undo {key} {todo.update_id}")

    def restore(self, context: Context, key: JobKey, found: Any, task: Any, ids: list[int],
                wait: bool) -> tuple[dict[str, Any], str, int]:
        """Start (and maybe wait for) the update giving `ids` back `task`:
        (its JSON entry, its text, its exit code)."""
        client_id = str(uuid.uuid4())
        request = undo_request(found, task, ids, client_id)
        text, diff = diff_preview(context, key, request)
        context.print_stderr(f"Undoing update {found.update.summary.key.id} for instance(s) "
                             f"{format_instances(ids)} of: {key}")
        update, said = started_key(start(context, key, request, client_id))
        entry: dict[str, Any] = {"instances": [list(r) for r in _ranges(ids)], "id": None,
                                 "url": None, "diff": diff, "message": None}
        if update is None:
            entry["message"] = ", ".join(said) or "Noop update."
            return entry, f"{text}{entry['message']}\n", 0
        entry["id"], entry["url"] = update.id, update_url(context, key, update.id)
        text += f"Job update has started. View your update progress at {entry['url']}\n"
        if not wait:
            return entry, text, 0
        if context.output_format == "text":
            emit(text)                   # the preview comes before the (long) wait
        waited = wait_for_update(context, key, update, FORWARD_OUTCOMES)
        entry.update({k: v for k, v in waited.data.items() if k not in ("job", "id")})
        return entry, waited.text, waited.exit_code
