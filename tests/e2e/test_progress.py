"""Progress that shows time passing, end to end: `update start --wait`, `update wait`,
`job restart` and `job create --wait-until` against a real devcluster, on a
pseudo-terminal (a line redrawn at least every second, saying what is waited for)
and off one (a line per change, never a redraw)."""

from __future__ import annotations

import re

from tests.conftest import aurora_bin
from tests.e2e.test_update_noun import JOB, binds, create, key, run
from tests.support.terminal import Terminal, on_a_terminal

ELAPSED = re.compile(r"^\[(?:(\d+)h)?(?:(\d+)m)?(\d+)s\] ")


def elapsed_shown(screen: Terminal) -> list[int]:
    """The elapsed seconds each progress redraw showed, in order."""
    seen = []
    for _, text in screen.redraws():
        found = ELAPSED.match(text)
        if found:
            h, m, s = (int(g or 0) for g in found.groups())
            seen.append(h * 3600 + m * 60 + s)
    return seen


def assert_time_is_seen_passing(screen: Terminal) -> None:
    """The line shows the elapsed time from its first draw and, while the command
    waits, moves on about every second (not once per poll)."""
    shown = elapsed_shown(screen)
    assert shown and shown[0] <= 1, screen.text
    assert shown == sorted(shown), shown
    span = shown[-1] - shown[0]
    assert span >= 4, screen.text
    assert len(set(shown)) >= span // 2 + 1, shown   # a slow poll does not freeze it


def assert_one_line_per_change(stderr: str) -> None:
    assert "\r" not in stderr and "\x1b" not in stderr
    lines = stderr.splitlines()
    assert all(a != b for a, b in zip(lines, lines[1:], strict=False)), stderr
    assert not any(ELAPSED.match(line) for line in lines), stderr


def test_update_wait_on_a_terminal_shows_the_batch_being_watched(dev_home):
    name, k = "prog-upd", key("prog-upd")
    create(dev_home, name)
    screen = on_a_terminal([aurora_bin(), "update", "start", k, JOB,
                            *binds(name, version=2, watch=5), "--wait"], dev_home.env())
    assert screen.code == 0, screen.text
    assert screen.piped.endswith("Current state ROLLED_FORWARD\n")
    drawn = [text for _, text in screen.redraws() if ELAPSED.match(text)]
    watching = [text for text in drawn if "watching" in text]
    assert watching, screen.text
    first = next(at for at, text in screen.redraws() if ELAPSED.match(text))
    soon = next(at for at, text in screen.redraws() if "watching" in text)
    assert soon - first < 5, screen.text        # the batch is watched from its start
    assert re.search(r"ROLLING_FORWARD 0/2 updated, batch 0: instance 0 watching \d/5 s$",
                     watching[0]), watching[0]
    counted = {int(m.group(1)) for t in watching if (m := re.search(r"watching (\d)/5 s", t))}
    assert len(counted) >= 3, watching            # the watched seconds move on
    assert any("1/2 updated, batch 1: instance 1 watching" in t for t in watching), drawn
    assert drawn[-1].endswith("ROLLED_FORWARD 2/2 updated")
    assert_time_is_seen_passing(screen)
    run(dev_home, "job", "killall", k)


def test_update_wait_off_a_terminal_prints_a_line_per_change(dev_home):
    name, k = "prog-upd-log", key("prog-upd-log")
    create(dev_home, name)
    run(dev_home, "update", "start", k, JOB, *binds(name, version=2, watch=2))
    done = run(dev_home, "update", "wait", k)
    assert done.stdout == "Current state ROLLED_FORWARD\n"
    assert_one_line_per_change(done.stderr)
    lines = done.stderr.splitlines()
    events = [line for line in lines if line.startswith("  instance ")]
    assert events[-2:] == ["  instance 1: INSTANCE_UPDATING", "  instance 1: INSTANCE_UPDATED"]
    assert len(lines) == len(set(lines)) <= 6, done.stderr   # 2 states and 4 events at most
    run(dev_home, "job", "killall", k)


def test_restart_on_a_terminal_shows_what_each_batch_waits_for(dev_home):
    name, k = "prog-restart", key("prog-restart")
    create(dev_home, name)
    screen = on_a_terminal([aurora_bin(), "job", "restart", k, "--watch-secs", "4",
                            "--healthcheck-interval-seconds", "3"], dev_home.env())
    assert screen.code == 0, screen.text
    assert screen.piped == f"Job {k} restarted successfully\n"
    drawn = [text for _, text in screen.redraws() if ELAPSED.match(text)]
    assert re.search(r"\] 0/2 restarted, batch 0: instance 0 (not RUNNING yet|RUNNING, "
                     r"watching)", drawn[0]), drawn
    counted = {m.group(1) for t in drawn if (m := re.search(r"instance 0 RUNNING, watching "
                                                            r"(\d)/4 s", t))}
    assert len(counted) >= 3, drawn               # seconds move on between 3 s polls
    assert any("1/2 restarted, batch 1: instance 1" in t for t in drawn), drawn
    assert drawn[-1].endswith("] 2/2 restarted")
    assert_time_is_seen_passing(screen)
    run(dev_home, "job", "killall", k)


def test_create_waiting_until_running_shows_the_instances_states(dev_home):
    name, k = "prog-create", key("prog-create")
    screen = on_a_terminal([aurora_bin(), "job", "create", k, JOB, *binds(name, count=3),
                            "--wait-until", "RUNNING"], dev_home.env())
    assert screen.code == 0, screen.text
    drawn = [text for _, text in screen.redraws() if ELAPSED.match(text)]
    assert drawn and re.search(r"\] waiting until RUNNING: [0-3]/3 there", drawn[0]), drawn
    assert drawn[-1].endswith("waiting until RUNNING: 3/3 there"), drawn
    plain = dev_home.run("job", "create", key("prog-create-log"), JOB,
                         *binds("prog-create-log", count=3), "--wait-until", "RUNNING")
    assert plain.returncode == 0, plain.stderr
    assert_one_line_per_change(plain.stderr)
    assert plain.stderr.splitlines()[-1] == "waiting until RUNNING: 3/3 there"
    run(dev_home, "job", "killall", k)
    run(dev_home, "job", "killall", key("prog-create-log"))
