"""The live lines of `job restart` and `job create --wait-until`: what they say, and
that they move every second on a terminal and print only changes otherwise."""

from __future__ import annotations

import io
from types import SimpleNamespace as NS

from aurora.api.idl import api
from aurora.output import StatusLine
from aurora.plugins.job.restart import Progress
from aurora.tasks import StateProgress


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def drawn(stream: io.StringIO) -> list[str]:
    return [part.rstrip() for part in stream.getvalue().replace("\n", "\r").split("\r") if part]


def test_restart_line_says_which_instance_the_batch_waits_for_and_for_how_long():
    t, tty = FakeTime(), Tty()
    progress = Progress(4, 30, 120, StatusLine(tty, clock=t.clock, sleep=t.sleep))
    progress.starting([0, 1])
    progress.pause(2)
    progress.watched({0: 2.0}, set())            # 0 is RUNNING anew, 1 not yet
    t.now = 9
    progress.watched({0: 2.0, 1: 5.0}, set())
    progress.pause(1.5)
    progress.watched({0: 2.0, 1: 5.0}, {0, 1})    # the batch is done: no redraw of its own
    progress.update([0, 1], [0, 1])
    progress.close()
    assert drawn(tty) == [
        "[0s] 0/4 restarted, batch 0-1: instance 0 not RUNNING yet (0/120 s allowed)",
        "[1s] 0/4 restarted, batch 0-1: instance 0 not RUNNING yet (1/120 s allowed)",
        "[2s] 0/4 restarted, batch 0-1: instance 0 not RUNNING yet (2/120 s allowed)",
        "[2s] 0/4 restarted, batch 0-1: instance 1 not RUNNING yet (2/120 s allowed)",
        "[9s] 0/4 restarted, batch 0-1: instance 1 RUNNING, watching 4/30 s",
        "[10s] 0/4 restarted, batch 0-1: instance 1 RUNNING, watching 5/30 s",
        "[10s] 2/4 restarted"]


def test_restart_off_a_terminal_prints_a_line_per_batch_and_never_redraws():
    t, plain = FakeTime(), io.StringIO()
    progress = Progress(2, 30, 120, StatusLine(plain, clock=t.clock, sleep=t.sleep))
    progress.starting([0])
    progress.watched({0: 0.0}, set())
    progress.pause(3)
    progress.update([0], [0])
    assert t.now == 3 and plain.getvalue() == (
        "Restarting instances [0]; watching them stay RUNNING for 30s\n"
        "Restarted instances [0] (1/2)\n")


def tasks(*statuses: str) -> dict[int, NS]:
    values = api().ScheduleStatus._NAMES_TO_VALUES
    return {i: NS(status=values[s]) for i, s in enumerate(statuses)}


def test_create_line_counts_the_instances_there_and_the_states_of_the_others():
    from aurora.plugins.job.common import wait_states

    running = wait_states("RUNNING")
    t, tty = FakeTime(), Tty()
    progress = StateProgress("RUNNING", 4, StatusLine(tty, clock=t.clock, sleep=t.sleep))
    progress.polled(tasks("PENDING", "PENDING", "ASSIGNED"), running)
    progress.pause(1)
    progress.polled(tasks("RUNNING", "FAILED", "STARTING", "PENDING"), running)
    progress.close()
    assert drawn(tty) == [
        "[0s] waiting until RUNNING: 0/4 there; 2 PENDING, 1 ASSIGNED, 1 not created",
        "[1s] waiting until RUNNING: 0/4 there; 2 PENDING, 1 ASSIGNED, 1 not created",
        "[1s] waiting until RUNNING: 2/4 there; 1 PENDING, 1 STARTING"]
    plain = io.StringIO()
    progress = StateProgress("RUNNING", 1, StatusLine(plain, clock=t.clock, sleep=t.sleep))
    for _ in range(3):
        progress.polled(tasks("PENDING"), running)
        progress.pause(2)
    progress.polled(tasks("RUNNING"), running)
    assert plain.getvalue() == ("waiting until RUNNING: 0/1 there; 1 PENDING\n"
                                "waiting until RUNNING: 1/1 there\n")
