"""`update info`: one update's state, its events and its instances' events."""

from __future__ import annotations

from typing import Any

from aurora.command import CommandOption, Context, Verb
from aurora.jobkey import JobKey
from aurora.output import Result
from aurora.plugins.update.common import (
    JOBSPEC,
    UPDATE_ID,
    action_name,
    active_update,
    details,
    iso,
    status_name,
    update_key,
)


def info_data(key: JobKey, found: Any) -> dict[str, Any]:
    summary = found.update.summary
    update_events = []
    for event in found.updateEvents or []:
        entry = {"status": status_name(event.status), "timestampMs": event.timestampMs,
                 "user": event.user}
        if event.message:
            entry["message"] = event.message
        update_events.append(entry)
    instance_events = []
    for event in found.instanceEvents or []:
        entry = {"instance": event.instanceId, "timestamp": event.timestampMs,
                 "action": action_name(event.action)}
        if event.message:
            entry["message"] = event.message
        instance_events.append(entry)
    metadata = sorted((m.key, m.value) for m in summary.metadata or [])
    return {"updateId": summary.key.id, "job": str(key), "user": summary.user,
            "started": iso(summary.state.createdTimestampMs),
            "last_modified": iso(summary.state.lastModifiedTimestampMs),
            "status": status_name(summary.state.status), "update_events": update_events,
            "instance_update_events": instance_events,
            "metadata": [{k: v} for k, v in metadata]}


def info_text(data: dict[str, Any]) -> str:
    out = [f"Job: {data['job']}, UpdateID: {data['updateId']}",
           f"Started {data['started']}, last activity: {data['last_modified']}",
           f"Current status: {data['status']}"]
    if data["update_events"]:
        out.append("Update events:")
        for event in data["update_events"]:
            out.append(f"  Status: {event['status']} at {iso(event['timestampMs'])}")
            if event.get("message"):
                out.append(f"      message: {event['message']}")
    if data["instance_update_events"]:
        out.append("Instance events:")
        out += [f"  Instance {e['instance']} at {iso(e['timestamp'])}: {e['action']}"
                for e in data["instance_update_events"]]
    if data["metadata"]:
        out.append("Metadata:")
        out += [f"  {k}: {v}" for entry in data["metadata"] for k, v in entry.items()]
    return "\n".join(out) + "\n"


def _ranges(ids: set[int]) -> list[list[int]]:
    from aurora.jobkey import instance_ranges

    return [[a, b] for a, b in instance_ranges(sorted(ids))]


def _ids(group: Any) -> set[int]:
    return {i for r in group.instances or [] for i in range(r.first, r.last + 1)} \
        if group is not None else set()


def _bracketed(ranges: list[list[int]]) -> str:
    return ", ".join(f"[{a}]" if a == b else f"[{a}-{b}]" for a, b in ranges)


def config_diff(instructions: Any) -> dict[str, Any]:
    """What the update changes, from its initial and desired states, in `job diff`'s
    words and format: instances added, removed, and each earlier configuration's
    instances with the difference to the desired one."""
    from aurora.config_diff import external_diff, render_task

    desired = instructions.desiredState if instructions else None
    after = _ids(desired)
    groups = sorted(((g, _ids(g)) for g in (instructions.initialState if instructions
                                            else None) or []), key=lambda g: min(g[1] or {0}))
    before = {i for _, ids in groups for i in ids}
    data = {"add": _ranges(after - before), "remove": _ranges(before - after), "update": []}
    lines = ["Configuration diff:"]
    for label, kind in (("add instances:", "add"), ("remove instances:", "remove")):
        if data[kind]:
            lines.append(f"{label} {_bracketed(data[kind])}")
    for group, ids in groups:
        if desired is None or not ids & after:
            continue
        data["update"] += _ranges(ids & after)
        lines += [f"update instances: {_bracketed(_ranges(ids & after))}", "with diff:", "",
                  external_diff(render_task(group.task), render_task(desired.task)).rstrip("\n"),
                  ""]
    data["text"] = "\n".join(lines) + "\n"
    return data


class InfoUpdate(Verb):
    name = "info"
    help = "Show an update's status and events (default: the job's active update)."
    options = (JOBSPEC, UPDATE_ID,
               CommandOption("--diff", action="store_true", default=False,
                             help="also show how the update changes the configuration "
                                  "(as job diff shows it; DIFF_VIEWER honoured)"))

    def execute(self, context: Context) -> Result:
        o = context.options
        key: JobKey = o.jobspec
        found = update_key(key, o.id) if o.id else active_update(
            context, key, "There is no active update for this job.")
        update = details(context, key, found)
        data = info_data(key, update)
        if not o.diff:
            return Result(data=data, text=info_text(data))
        data["diff"] = config_diff(update.update.instructions)
        return Result(data=data, text=info_text(data) + data["diff"]["text"])
