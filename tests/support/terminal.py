"""Run `aurora` with stderr (or stdout) on a pseudo-terminal, keeping when each
piece arrived: the one way the tests put a command on a terminal.

A progress line redrawn in place is a run of `\r`-separated texts; the tests check
what those texts say and that time is seen passing while a command waits.
"""

from __future__ import annotations

import os
import pty
import subprocess
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Terminal:
    """What a command showed on its terminal: each piece with when it arrived (seconds
    after the command started)."""

    code: int
    piped: str          # the other stream, read through a pipe
    chunks: list[tuple[float, str]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(chunk for _, chunk in self.chunks)

    def redraws(self) -> list[tuple[float, str]]:
        """Each text drawn (between carriage returns and newlines) and when it was complete."""
        drawn: list[tuple[float, str]] = []
        partial = ""
        for at, chunk in self.chunks:
            for char in chunk:
                if char in "\r\n":
                    if partial.strip():
                        drawn.append((at, partial.rstrip()))
                    partial = ""
                else:
                    partial += char
        return drawn


def on_a_terminal(command: list[str], env: dict[str, str], timeout: float = 120,
                  stream: str = "stderr") -> Terminal:
    """Run `command` with `stream` ("stderr" or "stdout") on a pseudo-terminal and the
    other piped."""
    leader, follower = pty.openpty()
    chunks: list[tuple[float, str]] = []
    started = time.monotonic()

    def drain() -> None:
        while True:
            try:
                data = os.read(leader, 4096)
            except OSError:                 # the terminal closed
                return
            if not data:
                return
            chunks.append((time.monotonic() - started, data.decode(errors="replace")))

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        on_tty = {"stderr": follower} if stream == "stderr" else {"stdout": follower}
        done = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, text=True,
                              timeout=timeout, **{"stdout": subprocess.PIPE,
                                                  "stderr": subprocess.PIPE, **on_tty})
    finally:
        os.close(follower)
        reader.join(timeout=10)
        os.close(leader)
    return Terminal(done.returncode, done.stderr if stream == "stdout" else done.stdout,
                    chunks)
