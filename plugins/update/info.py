"""`update info`: one update's state, its events and its instances' events."""

from __future__ import annotations

from typing import Any

from aurora.command import Context, Verb
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


class InfoUpdate(Verb):
    name = "info"
    help = "Show an update's status and events (default: the job's active update)."
    options = (JOBSPEC, UPDATE_ID)

    def execute(self, context: Context) -> Result:
        o = context.options
        key: JobKey = o.jobspec
        found = update_key(key, o.id) if o.id else active_update(
            context, key, "There is no active update for this job.")
        data = info_data(key, details(context, key, found))
        return Result(data=data, text=info_text(data))
