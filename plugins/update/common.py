"""What the update verbs share: status groups, finding an update, calling the scheduler.

Updates are run by the scheduler; the client only starts, steers and reads
them. These helpers turn the thrift shapes into what the verbs print, and make
every failed call one line with the exit code upstream gives it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from aurora.command import CommandOption, Verb
from aurora.errors import ApiError, InvalidParameter
from aurora.jobkey import JobKey
from aurora.jobs import job_url, thrift_key
from aurora.options import JOBSPEC
from aurora.output import Result

if TYPE_CHECKING:
    from aurora.command import Context

CLIENT_ID_KEY = "org.apache.aurora.client.update_id"

ACTIVE = ("ROLLING_FORWARD", "ROLLING_BACK", "ROLL_FORWARD_PAUSED", "ROLL_BACK_PAUSED",
          "ROLL_FORWARD_AWAITING_PULSE", "ROLL_BACK_AWAITING_PULSE")
TERMINAL = ("ROLLED_FORWARD", "ROLLED_BACK", "ABORTED", "ERROR", "FAILED")
STATUS_GROUPS: dict[str, tuple[str, ...]] = {
    "active": ACTIVE,
    "all": ACTIVE + TERMINAL,
    "blocked": ("ROLL_FORWARD_AWAITING_PULSE", "ROLL_BACK_AWAITING_PULSE"),
    "failed": ("ERROR", "FAILED", "ROLLED_BACK"),
    "inactive": TERMINAL,
    "paused": ("ROLL_FORWARD_PAUSED", "ROLL_BACK_PAUSED"),
    "succeeded": ("ROLLED_FORWARD",),
}

MESSAGE = CommandOption("-m", "--message", default=None, metavar="TEXT",
                        help="a message recorded with the update's event")
UPDATE_ID = CommandOption("id", nargs="?", default=None, metavar="ID",
                          help="the update's id (default: the job's active update)")


def status_name(value: int) -> str:
    from aurora.api.idl import api

    return api().JobUpdateStatus._VALUES_TO_NAMES.get(value, str(value))


def action_name(value: int) -> str:
    from aurora.api.idl import api

    return api().JobUpdateAction._VALUES_TO_NAMES.get(value, str(value))


def status_values(names: tuple[str, ...] | list[str]) -> set[int]:
    from aurora.api.idl import api

    return {api().JobUpdateStatus._NAMES_TO_VALUES[n] for n in names}


def iso(ms: int | None) -> str:
    """Milliseconds since the epoch as UTC `YYYY-MM-DDTHH:MM:SS`, as upstream prints."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime((ms or 0) / 1000))


def update_key(key: JobKey, update_id: str | None) -> Any:
    from aurora.api.idl import api

    return api().JobUpdateKey(job=thrift_key(key), id=update_id)


def job_key_of(thrift_job: Any, cluster: str) -> JobKey:
    return JobKey(cluster, thrift_job.role, thrift_job.environment, thrift_job.name)


def update_url(context: Context, key: JobKey, update_id: str) -> str:
    """The web page of one update."""
    return job_url(context, key.cluster, key.role, key.env, key.name, "update", update_id)


def call(context: Context, cluster: str, method: str, *args: Any,
         failure: str = "Command failure:") -> Any:
    """One RPC; a refusal is `<failure> <scheduler's message>`, exit 10."""
    from aurora.api.client import Refusal

    return context.scheduler(cluster).call(method, *args, refused=Refusal(failure))


def summaries(context: Context, cluster: str, query: Any) -> list[Any]:
    response = call(context, cluster, "getJobUpdateSummaries", query)
    return context.scheduler(cluster).result(
        response, "getJobUpdateSummaries", "getJobUpdateSummariesResult").updateSummaries or []


def active_update(context: Context, key: JobKey,
                  none_found: str = "No active update found for this job.") -> Any:
    """The JobUpdateKey of the job's one active update (exit 6 when there is none)."""
    from aurora.api.idl import api

    query = api().JobUpdateQuery(jobKey=thrift_key(key), updateStatuses=status_values(ACTIVE))
    found = summaries(context, key.cluster, query)
    if not found:
        raise InvalidParameter(f"{none_found.rstrip('.')} ({key})",
                               hint=f"see its updates with: aurora update list {key}")
    if len(found) > 1:
        raise ApiError(f"The scheduler returned multiple active updates for {key}: "
                       f"{', '.join(s.key.id for s in found)}")
    return found[0].key


def client_id(summary: Any) -> str | None:
    """The id this client put in the update's metadata when it started it."""
    for entry in summary.metadata or []:
        if entry.key == CLIENT_ID_KEY:
            return entry.value
    return None


def details(context: Context, key: JobKey, thrift_update_key: Any) -> Any:
    """The update's JobUpdateDetails; exit 6 when the scheduler has no such update."""
    from aurora.api.idl import api

    response = call(context, key.cluster, "getJobUpdateDetails", thrift_update_key,
                    api().JobUpdateQuery(key=thrift_update_key))
    result = context.scheduler(key.cluster).result(response, "getJobUpdateDetails",
                                                   "getJobUpdateDetailsResult")
    found = result.detailsList if result.detailsList is not None else (
        [result.details] if result.details is not None else [])
    if not found:
        raise InvalidParameter(f"There is no update {thrift_update_key.id} for job {key}",
                               hint=f"list its updates with: aurora update list {key}")
    return found[0]


def summary_row(summary: Any, cluster: str) -> dict[str, Any]:
    """One update as `update list` shows it."""
    return {"job": str(job_key_of(summary.key.job, cluster)), "id": summary.key.id,
            "user": summary.user, "started": iso(summary.state.createdTimestampMs),
            "last_modified": iso(summary.state.lastModifiedTimestampMs),
            "status": status_name(summary.state.status)}


class SteerUpdate(Verb):
    """pause, resume, abort and rollback: one call on the job's active update."""

    method = ""                     # the thrift method, e.g. pauseJobUpdate
    word = ""                       # how the failure names the action, e.g. pause
    done = ""                       # what success says
    options: tuple[CommandOption, ...] = (JOBSPEC, MESSAGE)

    def steer(self, context: Context) -> tuple[JobKey, Any]:
        o = context.options
        key: JobKey = o.jobspec
        found = active_update(context, key)
        call(context, key.cluster, self.method, found, o.message,
             failure=f"Failed to {self.word} update due to error:")
        return key, found

    def execute(self, context: Context) -> Result:
        key, found = self.steer(context)
        return Result(data={"job": str(key), "id": found.id, "action": self.word},
                      text=self.done + "\n")
