"""How long a rescheduled task waits: the real scheduler's flapping-task penalty.

A task *flapped* when it ended less than `FLAP_SECONDS` after its last active
event (it never got going, or ran only briefly) and nobody interrupted it (no
KILLING, RESTARTING or DRAINING event). The replacement of a flapped task waits
THROTTLED; each flapped ancestor in a row doubles the wait, from
`INITIAL_DELAY_MS` up to `MAX_DELAY_MS`. This is the scheduler's
RescheduleCalculator (`-flapping_task_threshold`, `-initial_flapping_task_delay`,
`-max_flapping_task_delay`, 5 min, 30 s and 5 min there), with shorter figures
for a developer's machine. It applies to every reschedule (a LOST task, a
failed batch task, a service that ended), so a task that can never start
costs one attempt per delay, not one per scheduling step.
"""

from __future__ import annotations

from typing import Any

from aurora.api.idl import api

FLAP_SECONDS = 10          # a task that ended sooner than this after starting flapped
INITIAL_DELAY_MS = 5_000
MAX_DELAY_MS = 60_000


def next_delay(delay_ms: int) -> int:
    """The truncated binary back-off: the first delay, then doubling, at most the cap."""
    return INITIAL_DELAY_MS if delay_ms <= 0 else min(delay_ms * 2, MAX_DELAY_MS)


def flapped(events: list[tuple[int, int, str | None]]) -> bool:
    """Whether a task with these (ts, status, message) events, the last one terminal,
    ended too soon after its last active event without being interrupted."""
    a = api()
    s = a.ScheduleStatus
    interrupted = (s.KILLING, s.RESTARTING, s.DRAINING)
    if not events or any(status in interrupted for _, status, _ in events):
        return False
    ended = events[-1][0]
    active = [ts for ts, status, _ in events[:-1] if status in a.ACTIVE_STATES]
    return not active or ended - active[-1] < FLAP_SECONDS * 1000


def penalty_ms(store: Any, ended_task_id: str) -> int:
    """The wait for the replacement of `ended_task_id`: one doubling per flapped task in
    its line of ancestors, counting back from it until one did not flap."""
    delay, task_id, seen = 0, ended_task_id, 0
    while task_id and seen < 64:           # the cap is reached long before
        events = store.events([task_id])[task_id]
        if not flapped(events):
            break
        longer = next_delay(delay)
        if longer == delay:
            break
        delay, seen = longer, seen + 1
        row = store.db.execute("SELECT ancestor FROM tasks WHERE task_id = ?",
                               (task_id,)).fetchone()
        task_id = row[0] if row else None
    return delay
