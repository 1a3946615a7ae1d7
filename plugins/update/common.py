"""What the update verbs share: status groups, finding an update, calling the scheduler.

Updates are run by the scheduler; the client only starts, steers and reads
them. These helpers turn the thrift shapes into what the verbs print, and make
every failed call one line with the exit code upstream gives it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from aurora.command import CommandOption, Verb
from aurora.errors import (
    ApiError,
    AuroraError,
    ExitCode,
    InvalidParameter,
    NetworkError,
    SchedulerTimeout,
)
from aurora.jobkey import JobKey, format_instances
from aurora.jobs import thrift_key
from aurora.options import JOBSPEC
from aurora.output import Result, StatusLine, stamped
from aurora.weblinks import job_url

if TYPE_CHECKING:
    from collections.abc import Callable

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
                       f"{', '.join(s.key.id for s in found)}",
                       hint=f"name one: see them with aurora update list {key}")
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

    changes_state = True
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


# -- starting an update (update start, update undo) ------------------------------------
def ranges_text(groups: Any) -> str:
    ranges = sorted((r.first, r.last) for g in groups or [] for r in g.instances or [])
    return ", ".join(f"[{a}]" if a == b else f"[{a}-{b}]" for a, b in ranges)


def preview(diff: Any) -> tuple[str, dict[str, list[list[int]]]]:
    """What the update will do, as upstream words it (each kind of change once)."""
    kinds = (("add", "add instances:", diff.add), ("remove", "remove instances:", diff.remove),
             ("update", "update instances:", diff.update),
             ("unchanged", "not change instances:", diff.unchanged))
    lines = ["This job update will:"]
    lines += [f"{label} {ranges_text(groups)}" for _, label, groups in kinds if groups]
    data = {name: sorted([r.first, r.last] for g in groups or [] for r in g.instances or [])
            for name, _, groups in kinds}
    return "\n".join(lines) + "\n", data


def diff_preview(context: Context, key: JobKey, request: Any) -> tuple[str, Any]:
    """The scheduler's diff for `request` as `preview` renders it; ("", None) with
    --no-diff (update start and update undo)."""
    if context.options.no_diff:
        return "", None
    found = call(context, key.cluster, "getJobUpdateDiff", request,
                 failure="Error getting diff info from scheduler:")
    return preview(context.scheduler(key.cluster).result(
        found, "getJobUpdateDiff", "getJobUpdateDiffResult"))


def ours(response: Any, update_id: str) -> bool:
    """True when a refusal names the update this very command started (a retried start)."""
    result = response.result.startJobUpdateResult if response.result else None
    summary = result.updateSummary if result else None
    return summary is not None and client_id(summary) == update_id


def find_started(context: Context, key: JobKey, update_id: str) -> Any:
    """The summary of the update carrying our id, if the scheduler has one."""
    from aurora.api.idl import api

    query = api().JobUpdateQuery(jobKey=thrift_key(key))
    return next((s for s in summaries(context, key.cluster, query)
                 if client_id(s) == update_id), None)


def start(context: Context, key: JobKey, request: Any, update_id: str) -> Any:
    """startJobUpdate, reconciled: the scheduler's Response, or (when the answer was lost
    and the update carrying our id was found) an OK Response naming that update."""
    from aurora.api.client import Refusal
    from aurora.api.idl import api

    a = api()
    refused = Refusal("Failed to start update due to error:",
                      accept=lambda response: ours(response, update_id),
                      hint=lambda response, said: holder_hint(key, response, said))
    try:
        return context.scheduler(key.cluster).call("startJobUpdate", request,
                                                   context.options.message, refused=refused)
    except (NetworkError, SchedulerTimeout) as exc:      # the answer was lost
        found = find_started(context, key, update_id)
        if found is None:
            raise type(exc)(f"the answer to startJobUpdate was lost and cluster {key.cluster} "
                            f"has no update carrying this command's id ({update_id}): the "
                            "update did not start", hint="run the command again",
                            exit_code=exc.exit_code) from None
        return a.Response(responseCode=a.ResponseCode.OK, details=[], result=a.Result(
            startJobUpdateResult=a.StartJobUpdateResult(key=found.key, updateSummary=found)))


def started_key(response: Any) -> tuple[Any, list[str]]:
    """(the started update's JobUpdateKey or None for a noop, the scheduler's words)."""
    result = response.result.startJobUpdateResult if response.result else None
    return (result.key if result else None), [d.message for d in response.details or []
                                              if d.message]


def holder_hint(key: JobKey, response: Any, said: str) -> str | None:
    """When the scheduler refused because another update holds the job, name it."""
    result = response.result.startJobUpdateResult if response.result else None
    if result is not None and result.key is not None and result.key.id not in said:
        return f"update {result.key.id} is in progress; see: aurora update info {key}"
    return None


# -- waiting for an update (update wait, start --wait, rollback --wait) ----------------
# The scheduler runs the update; waiting only watches it. Each poll reads the
# update's details, so the progress can say how many instances are done, which
# failed and which are being replaced now. The first poll comes 0.25 s after the
# last, and the pause grows to five seconds while nothing changes; on a terminal the
# line is redrawn every second meanwhile, from the last details and the local clock
# (time waited, seconds the batch has been watched). Ctrl-C and
# `--timeout` stop the watching, never the update, and say how to stop the update.

# Exit code per final status; any other final status is an unexpected end (20).
FORWARD_OUTCOMES = {"ROLLED_FORWARD": 0, "ROLLED_BACK": 4}
ROLLBACK_OUTCOMES = {"ROLLED_BACK": 0, "ROLLED_FORWARD": 4}
FIRST_INTERVAL = 0.25   # the first look soon after the start: small updates end quickly
MAX_INTERVAL = 5.0
BACKWARD = ("ROLLING_BACK", "ROLL_BACK_PAUSED", "ROLL_BACK_AWAITING_PULSE", "ROLLED_BACK")
IN_FLIGHT = ("INSTANCE_UPDATING", "INSTANCE_ROLLING_BACK")
FAILED = ("INSTANCE_UPDATE_FAILED", "INSTANCE_ROLLBACK_FAILED")


@dataclass
class Snapshot:
    """Where an update stands, from one JobUpdateDetails."""

    status: str
    total: int
    updated: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    batch: list[int] = field(default_factory=list)
    events: list[tuple[int, str]] = field(default_factory=list)
    watch_ms: int = 0                  # the update's minWaitInInstanceRunningMs (watch_secs)
    since: dict[int, int] = field(default_factory=dict)      # batch instance -> its start (ms)
    messages: list[str | None] = field(default_factory=list)  # each event's message, if any

    def line(self, elapsed: float, now_ms: float) -> str:
        """The live line, most telling first (a terminal cuts what does not fit): time
        waited so far, status, counts, failures, and what the batch waits for."""
        noun = "rolled back" if self.status in BACKWARD else "updated"
        text = stamped(elapsed, f"{self.status} {len(self.updated)}/{self.total} {noun}")
        if self.failed:
            text += f", failed: {format_instances(self.failed)}"
        waiting = self.waiting_for(now_ms)
        if self.batch:
            return f"{text}, batch {format_instances(self.batch)}: {waiting}"
        return f"{text}; {waiting}" if waiting else text

    def waiting_for(self, now_ms: float) -> str:
        """What the update waits for now: the batch's last-started instance and how long
        it has been in the batch (the scheduler's watch counts from the same moment at
        the earliest), or why nothing moves."""
        if self.status.endswith("AWAITING_PULSE"):
            return "waiting for a pulse"
        if self.status.endswith("PAUSED"):
            return "paused until aurora update resume"
        if not self.since:
            return ""
        instance, began = max(self.since.items(), key=lambda item: (item[1], item[0]))
        secs = int(max(now_ms - began, 0) / 1000)
        watch = self.watch_ms / 1000
        if secs < watch:
            return f"instance {instance} watching {secs}/{watch:g} s"
        return f"instance {instance} in the batch for {secs} s"


def _ids(group: Any) -> set[int]:
    return {i for r in group.instances or [] for i in range(r.first, r.last + 1)}


def affected_instances(instructions: Any) -> set[int]:
    """Instances the update touches: those it replaces, adds or removes (an instance
    whose config before equals the config after is left alone)."""
    from aurora.api.idl import canonical

    if instructions is None:
        return set()
    desired = instructions.desiredState
    after = _ids(desired) if desired is not None else set()
    before: set[int] = set()
    unchanged: set[int] = set()
    target = canonical(desired.task) if desired is not None else None
    for group in instructions.initialState or []:
        before |= _ids(group)
        if target is not None and canonical(group.task) == target:
            unchanged |= _ids(group) & after
    ids = (before | after) - unchanged
    only = instructions.settings.updateOnlyTheseInstances if instructions.settings else None
    if only:
        ids &= {i for r in only for i in range(r.first, r.last + 1)}
    return ids


def snapshot(found: Any) -> Snapshot:
    status = status_name(found.update.summary.state.status)
    ordered = sorted(found.instanceEvents or [], key=lambda e: e.timestampMs)
    events = [(e.instanceId, action_name(e.action)) for e in ordered]
    latest = dict(events)
    began = {e.instanceId: e.timestampMs for e in ordered}   # the last event's time
    done = "INSTANCE_ROLLED_BACK" if status in BACKWARD else "INSTANCE_UPDATED"
    instructions = found.update.instructions
    total = len(affected_instances(instructions) | set(latest))
    settings = instructions.settings if instructions is not None else None
    batch = sorted(i for i, a in latest.items() if a in IN_FLIGHT)
    return Snapshot(status, total,
                    updated=sorted(i for i, a in latest.items() if a == done),
                    failed=sorted(i for i, a in latest.items() if a in FAILED),
                    batch=batch, events=events,
                    watch_ms=(settings.minWaitInInstanceRunningMs or 0) if settings else 0,
                    since={i: began[i] for i in batch},
                    messages=[e.message for e in ordered])


class Watch:
    """Shows each snapshot: a line redrawn at least every second on a terminal (the
    elapsed and watched times move between polls), plain lines per change otherwise."""

    def __init__(self, stream: TextIO | None = None,
                 wall: Callable[[], float] = time.time, **line: Any) -> None:
        self.line = StatusLine(stream, **line)
        self.wall = wall
        self.status = ""
        self.seen = 0
        self.last: Snapshot | None = None

    def render(self) -> str:
        assert self.last is not None
        return self.last.line(self.line.elapsed(), self.wall() * 1000)

    def show(self, now: Snapshot) -> bool:
        """Display what changed; True when anything did."""
        changed = now.status != self.status or len(now.events) != self.seen
        self.last = now
        if not self.line.tty and now.status != self.status:
            self.line.note(f"Current state {now.status}")
        for number, (instance, action) in enumerate(now.events[self.seen:], self.seen):
            if self.line.tty and action not in FAILED:
                continue        # on a terminal only a failure stays above the line
            said = now.messages[number] if number < len(now.messages) else None
            self.line.note(f"  instance {instance}: {action}" + (f" ({said})" if said else ""))
        if self.line.tty:
            self.line.show(self.render())
        self.status, self.seen = now.status, len(now.events)
        return changed

    def pause(self, seconds: float) -> None:
        """Wait until the next poll, redrawing the line meanwhile on a terminal."""
        self.line.wait(seconds, self.render if self.last is not None else None)

    def close(self) -> None:
        self.line.close()


def poll(context: Context, key: JobKey, found: Any, watch: Watch,
         clock: Callable[[], float] = time.monotonic) -> Snapshot:
    timeout = context.options.timeout
    started, interval = clock(), FIRST_INTERVAL
    while True:
        now = snapshot(details(context, key, found))
        changed = watch.show(now)
        if now.status in TERMINAL:
            return now
        left = None if timeout is None else timeout - (clock() - started)
        if left is not None and left <= 0:
            watch.close()
            raise SchedulerTimeout(
                f"stopped waiting after {timeout:g}s: update {found.id} of {key} is still "
                f"{now.status} in the scheduler",
                hint=f"wait again with: aurora update wait {key} {found.id}")
        interval = FIRST_INTERVAL if changed else min(interval * 1.5, MAX_INTERVAL)
        watch.pause(interval if left is None else min(interval, left))


def wait_for_update(context: Context, key: JobKey, found: Any,
                    outcomes: dict[str, int]) -> Result:
    """Watch the update `found` (a JobUpdateKey) until it ends; its end decides the exit."""
    watch = Watch()
    try:
        final = poll(context, key, found, watch)
    except KeyboardInterrupt:
        watch.close()
        raise AuroraError(f"stopped waiting: update {found.id} of {key} goes on in the "
                          "scheduler",
                          hint=f"to stop it run: aurora update pause {key} (or aurora update "
                               f"abort {key})", exit_code=ExitCode.INTERRUPTED) from None
    watch.close()
    code = outcomes.get(final.status, int(ExitCode.UNKNOWN_ERROR))
    if code:
        context.print_stderr(f"aurora: update {found.id} of {key} ended {final.status}; "
                             f"see what happened with: aurora update info {key} {found.id}")
    return Result(data={"job": str(key), "id": found.id, "status": final.status,
                        "updated": final.updated, "failed": final.failed},
                  text=f"Current state {final.status}\n", exit_code=code)
