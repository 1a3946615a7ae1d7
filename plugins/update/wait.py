"""`update wait`, and the wait that `update start --wait` and `update rollback --wait` share.

The scheduler runs the update; waiting only watches it. Each poll reads the
update's details, so the progress can say how many instances are done, which
failed and which are being replaced now. The first poll comes 0.25 s after the
last, and the pause grows to five seconds while nothing changes. Ctrl-C and `--timeout` stop
the watching, never the update, and say how to stop the update itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from aurora.command import Context, Verb
from aurora.errors import AuroraError, ExitCode, SchedulerTimeout
from aurora.jobkey import JobKey, format_instances
from aurora.output import Result, StatusLine
from aurora.plugins.update.common import (
    JOBSPEC,
    TERMINAL,
    UPDATE_ID,
    action_name,
    active_update,
    details,
    status_name,
    update_key,
)

if TYPE_CHECKING:
    from collections.abc import Callable

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

    def line(self) -> str:
        noun = "rolled back" if self.status in BACKWARD else "updated"
        failed = format_instances(self.failed) if self.failed else "none"
        batch = format_instances(self.batch) if self.batch else "none"
        return (f"{self.status}: {len(self.updated)}/{self.total} instances {noun}, "
                f"failed: {failed}, current batch: {batch}")


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
    events = [(e.instanceId, action_name(e.action)) for e in sorted(
        found.instanceEvents or [], key=lambda e: e.timestampMs)]
    latest = dict(events)
    done = "INSTANCE_ROLLED_BACK" if status in BACKWARD else "INSTANCE_UPDATED"
    total = len(affected_instances(found.update.instructions) | set(latest))
    return Snapshot(status, total,
                    updated=sorted(i for i, a in latest.items() if a == done),
                    failed=sorted(i for i, a in latest.items() if a in FAILED),
                    batch=sorted(i for i, a in latest.items() if a in IN_FLIGHT),
                    events=events)


class Watch:
    """Shows each snapshot: a redrawn line on a terminal, plain lines otherwise."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.line = StatusLine(stream)
        self.status = ""
        self.seen = 0

    def show(self, now: Snapshot) -> bool:
        """Display what changed; True when anything did."""
        changed = now.status != self.status or len(now.events) != self.seen
        if self.line.tty:
            self.line.show(now.line())
        else:
            if now.status != self.status:
                self.line.note(f"Current state {now.status}")
            for instance, action in now.events[self.seen:]:
                self.line.note(f"  instance {instance}: {action}")
        self.status, self.seen = now.status, len(now.events)
        return changed

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
        time.sleep(interval if left is None else min(interval, left))


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
        context.print_err(f"aurora: update {found.id} of {key} ended {final.status}; "
                          f"see what happened with: aurora update info {key} {found.id}")
    return Result(data={"job": str(key), "id": found.id, "status": final.status,
                        "updated": final.updated, "failed": final.failed},
                  text=f"Current state {final.status}\n", exit_code=code)


class WaitUpdate(Verb):
    name = "wait"
    help = "Wait for an update to end, showing its progress (default: the active update)."
    description = (help + " --timeout SECONDS stops waiting (exit 9); Ctrl-C stops waiting "
                   "(exit 130). Neither touches the update.")
    options = (JOBSPEC, UPDATE_ID)

    def execute(self, context: Context) -> Result:
        o = context.options
        key: JobKey = o.jobspec
        found = update_key(key, o.id) if o.id else active_update(context, key)
        return wait_for_update(context, key, found, FORWARD_OUTCOMES)
